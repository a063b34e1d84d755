// The review of an imported draft: mark each input of the notice editor that holds a field not yet checked
// (（待核对）); typing in it makes the mark say it was changed (saved with the draft). Works without it: the
// table above the form lists every field and its state.
"use strict";

(function () {
  const data = document.getElementById("import-marks");
  const form = document.getElementById("compose");
  if (!data || !form) return;
  for (const mark of JSON.parse(data.textContent)) {
    const input = form.querySelector(`[name="${CSS.escape(mark.inputs[0])}"]`);
    if (!input || input.dataset.pendingMark) continue;
    input.dataset.pendingMark = mark.id;
    const tag = document.createElement("span");
    tag.className = "tag warn pending-mark";
    tag.textContent = "（待核对）";
    tag.dataset.field = mark.id;
    input.insertAdjacentElement("afterend", tag);
    const changed = () => {
      tag.className = "tag pending-mark";
      tag.textContent = "（已修改，保存草稿后生效）";
    };
    input.addEventListener("input", changed, { once: true });
    input.addEventListener("change", changed, { once: true });
  }
})();
