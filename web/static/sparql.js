// The SPARQL page: swap the textarea for the CodeMirror editor (the form still sends the textarea),
// run on Ctrl-Enter, load an example as soon as it is chosen. Without JavaScript the form works as it is.
(function () {
  "use strict";
  const form = document.getElementById("sparql-form");
  const textarea = document.getElementById("query");
  if (!form || !textarea || !window.AihkgEditor) return;
  const submit = () => {
    // Long queries go by POST (a URL has limits); short ones by GET, so the address is a permalink.
    form.method = textarea.value.length > 6000 ? "post" : "get";
    form.requestSubmit(document.getElementById("run"));
  };
  window.aihkgEditor = window.AihkgEditor.createEditor(textarea, {
    vocabularyUrl: form.dataset.vocabulary, nonce: form.dataset.nonce, onRun: submit,
  });
  document.getElementById("run").addEventListener("click", e => {
    e.preventDefault();
    submit();
  });
  const example = document.getElementById("example");
  document.getElementById("load-example").hidden = true;
  example.addEventListener("change", () => {
    if (example.value) window.location.href = "/sparql?example=" + encodeURIComponent(example.value);
  });
})();
