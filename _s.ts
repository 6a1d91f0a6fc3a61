import { parse } from "acorn";
import { childrenOf, type AstNode } from "./firmware/ast.ts";
const code = Deno.readTextFileSync(Deno.args[0]);
const want = Deno.args.slice(1);
const p = parse(code, { ecmaVersion: "latest" }) as unknown as AstNode;
const v = (n: AstNode) => { if (n.type === "Literal" && typeof n.value === "string" && !/\s/.test(n.value)) { for (const w of want) if (new RegExp("\\b" + w.replace("$","\\$") + "\\b").test(n.value)) console.log(w, "<=", JSON.stringify(n.value).slice(0, 120), code.slice(Math.max(0,n.start-60), n.start).replace(/\n/g," ")); } childrenOf(n).forEach(v); };
v(p);
