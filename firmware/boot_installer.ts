/**
 * The boot installer: the small program in Storage that replaces `.bootcde` with a bundle
 * staged in raw flash (`flash_stage.ts`), at boot, before `.bootcde` runs. The running
 * bundle cannot do it itself: its code is read from `.bootcde` while it runs, and there
 * is no room for a second bundle in an ESP8266's Storage.
 *
 * Espruino runs `.boot0` at every boot and at `load()`, then `.bootcde`. `.boot0` is one
 * line that copies {@linkcode INSTALLER_FILE} into RAM and runs it there, since the copy
 * compacts Storage and so moves files, the running one included.
 *
 * It follows the record `hg.firmware` (written by `web_update.ts`), and every step is
 * safe to cut off by a power loss, because each is redone from the record at the next
 * boot:
 * - `pending`: copy the running `.bootcde` to the backup area, then `installing`;
 * - `installing`: erase `.bootcde`, copy the new bundle in, compare it, then `trial`
 *   (the new bundle then runs; it confirms itself as `installed` after a while);
 * - `trial` at boot: the new bundle restarted before confirming, so `restoring`;
 * - `restoring`: copy the backup into `.bootcde`, then `rolled-back`.
 *
 * While `.bootcde` is incomplete the record says `installing` or `restoring`, and the
 * installer finishes the copy before anything else runs. The Telnet flash task stays the
 * recovery path for anything else (it replaces `.bootcde` and the record is dropped).
 *
 * @module
 */

import type { EspruinoStorage } from "./espruino_types.ts";

/** The file Espruino runs before `.bootcde`. */
export const BOOT_HOOK_FILE = ".boot0";

/** The installer's code (run from RAM by the boot hook). */
export const INSTALLER_FILE = "hg.install";

/** The boot hook: runs the installer from a RAM copy (`E.toFlatString`). */
export const BOOT_HOOK_SOURCE =
  'var s=require("Storage").read("hg.install");if(s)eval(E.toFlatString(s))';
// (The call ends the file: its last token is read before it runs, so nothing of `.boot0`
// is read after the installer has moved it.)

/**
 * The installer, plain Espruino JavaScript (no bundling: it must not change with the
 * firmware). Chunks are 1 KB, so raw flash is read at aligned addresses.
 */
export const INSTALLER_SOURCE = `(function(){
var S=require("Storage"),F=require("Flash"),R="hg.firmware",B=".bootcde",K=1024;
var r=S.readJSON(R,1);
if(!r||typeof r.raw!="number"||typeof r.backup!="number")return;
function save(s){r.state=s;S.writeJSON(R,r);}
function raw(a,o,n){return E.toString(F.read((n+3)&~3,a+o)).substr(0,n);}
function size(){
var c=S.read(B,0,1),l=0,h=1<<20,m;if(!c)return 0;
while(h-l>1){m=(l+h)>>1;if(S.read(B,m,1))l=m;else h=m;}
return l+1;}
function same(a,n){
if(size()!=n)return false;
for(var o=0;o<n;o+=K)if(S.read(B,o,Math.min(K,n-o))!=raw(a,o,Math.min(K,n-o)))return false;
return true;}
function copyIn(a,n){
S.erase(B);
for(var o=0;o<n;o+=K)S.write(B,raw(a,o,Math.min(K,n-o)),o,n);
return same(a,n);}
function backUp(){
var n=size(),o;
for(o=0;o<n;o+=4096)F.erasePage(r.backup+o);
for(o=0;o<n;o+=K){var d=S.read(B,o,Math.min(K,n-o));while(d.length%4)d+="\\xff";F.write(d,r.backup+o);}
r.backupBytes=n;}
if(r.state=="pending"){backUp();save("installing");}
if(r.state=="installing"){
if(copyIn(r.raw,r.sizeBytes)){save("trial");return;}
console.log("hg: the new bundle did not copy right: restoring");save("restoring");}
else if(r.state=="trial"){console.log("hg: "+r.version+" restarted in its trial: restoring");save("restoring");}
if(r.state=="restoring"){
if(r.backupBytes>0&&copyIn(r.backup,r.backupBytes))save("rolled-back");
else console.log("hg: no backup to restore: flash the device over Telnet");}
})()`;

/**
 * Writes the boot hook and the installer when missing or outdated.
 *
 * @param storage `require("Storage")`.
 * @returns `false` when a write failed.
 * @example
 * ```ts
 * import { ensureInstaller, INSTALLER_FILE, INSTALLER_SOURCE } from "./boot_installer.ts";
 * import assert from "node:assert/strict";
 * const files: Record<string, string> = {};
 * const storage = {
 *   read: (name: string) => files[name],
 *   write: (name: string, data: string) => ((files[name] = data), true),
 * };
 * assert.equal(ensureInstaller(storage as never), true);
 * assert.equal(files[INSTALLER_FILE], INSTALLER_SOURCE);
 * ```
 */
export function ensureInstaller(storage: EspruinoStorage): boolean {
  let ok = true;
  if (storage.read(INSTALLER_FILE) !== INSTALLER_SOURCE) {
    ok = storage.write(INSTALLER_FILE, INSTALLER_SOURCE) && ok;
  }
  if (storage.read(BOOT_HOOK_FILE) !== BOOT_HOOK_SOURCE) {
    ok = storage.write(BOOT_HOOK_FILE, BOOT_HOOK_SOURCE) && ok;
  }
  return ok;
}
