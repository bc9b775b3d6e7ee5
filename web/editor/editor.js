// The SPARQL editor of aihkg's web explorer: CodeMirror 6 with SPARQL highlighting and
// completion from the graph's own prefixes and labels (/sparql/vocabulary.json, served by aihkg).
// Built into ../static/editor.bundle.js by build.sh; nothing here loads from another host.
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput } from "@codemirror/language";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { searchKeymap } from "@codemirror/search";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";

const KEYWORDS = ["SELECT", "DISTINCT", "REDUCED", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH",
  "VALUES", "BIND", "AS", "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "ASK", "CONSTRUCT", "DESCRIBE",
  "PREFIX", "BASE", "FROM", "FROM NAMED", "NOT EXISTS", "EXISTS", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE",
  "GROUP_CONCAT", "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "isIRI", "isLiteral", "isBlank",
  "CONTAINS", "STRSTARTS", "STRENDS", "REGEX", "LCASE", "UCASE", "CONCAT", "YEAR", "IF", "COALESCE", "DESC", "ASC"];

function prefixedNameSource(vocab) {
  const prefixes = Object.entries(vocab.prefixes || {});
  const terms = vocab.terms || [];
  return (context) => {
    const name = context.matchBefore(/[A-Za-z][\w-]*:[\w.\-]*/);
    if (name) {
      const [prefix, local] = [name.text.slice(0, name.text.indexOf(":")), name.text.slice(name.text.indexOf(":") + 1)];
      const wanted = local.toLowerCase();
      const options = [];
      for (const [curie, label, kind] of terms) {
        if (!curie.startsWith(prefix + ":")) continue;
        const rest = curie.slice(prefix.length + 1).toLowerCase();
        const byName = rest.startsWith(wanted);
        const byLabel = wanted.length >= 2 && (label || "").toLowerCase().includes(wanted);
        if (byName || byLabel) {
          options.push({ label: curie, detail: label, info: kind, type: kind === "class" ? "class" :
            (kind === "property" ? "property" : "constant"), boost: byName ? 1 : 0 });
        }
        if (options.length >= 200) break;
      }
      return { from: name.from, options, validFor: /^[A-Za-z][\w-]*:[\w.\-]*$/ };
    }
    const variable = context.matchBefore(/[?$][\w]*/);
    if (variable) {
      const seen = new Set(context.state.doc.toString().match(/[?$][A-Za-z_]\w*/g) || []);
      seen.delete(variable.text);
      return { from: variable.from, options: [...seen].map(v => ({ label: v, type: "variable" })) };
    }
    const word = context.matchBefore(/[A-Za-z_]\w*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const low = word.text.toLowerCase();
    const options = KEYWORDS.filter(k => k.toLowerCase().startsWith(low)).map(k => ({ label: k, type: "keyword" }));
    for (const [prefix, ns] of prefixes) {
      if (prefix.startsWith(low)) {
        options.push({ label: prefix + ":", type: "namespace", detail: ns });
      }
    }
    if (/^\s*PREFIX\s+$/i.test(context.state.doc.lineAt(word.from).text.slice(0, word.from - context.state.doc.lineAt(word.from).from))) {
      for (const [prefix, ns] of prefixes) {
        if (prefix.startsWith(low)) options.push({ label: `${prefix}: <${ns}>`, type: "namespace" });
      }
    }
    if (low.length >= 3) {
      for (const [curie, label, kind] of terms) {
        if ((label || "").toLowerCase().startsWith(low)) {
          options.push({ label: curie, detail: label, info: kind, type: "constant", apply: curie });
        }
        if (options.length >= 200) break;
      }
    }
    return { from: word.from, options };
  };
}

// Replace `textarea` by an editor that writes its text back before the form is sent.
export function createEditor(textarea, { vocabularyUrl, nonce, onRun } = {}) {
  const vocab = { prefixes: {}, terms: [] };
  const run = () => { if (onRun) onRun(); return true; };
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), history(), drawSelection(), highlightActiveLine(), indentOnInput(), bracketMatching(),
        closeBrackets(), StreamLanguage.define(sparql), syntaxHighlighting(defaultHighlightStyle),
        autocompletion({ override: [prefixedNameSource(vocab)], activateOnTyping: true }),
        keymap.of([{ key: "Mod-Enter", run }, ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap,
          ...historyKeymap, ...completionKeymap, indentWithTab]),
        EditorView.cspNonce.of(nonce || ""),
        EditorView.contentAttributes.of({ "aria-label": textarea.getAttribute("aria-label") || "SPARQL query" }),
        EditorView.updateListener.of(update => { if (update.docChanged) textarea.value = update.state.doc.toString(); }),
      ],
    }),
  });
  textarea.hidden = true;
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  if (vocabularyUrl) {
    fetch(vocabularyUrl, { headers: { Accept: "application/json" } })
      .then(r => (r.ok ? r.json() : { prefixes: {}, terms: [] }))
      .then(data => { vocab.prefixes = data.prefixes || {}; vocab.terms.push(...(data.terms || [])); })
      .catch(() => {});
  }
  return view;
}
