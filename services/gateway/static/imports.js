// The review of an imported draft: mark each input of the notice editor that holds a field not yet checked
// (（待核对）); typing in it makes the mark say it was changed (saved with the draft). 送签发 while fields are
// still 待核对 asks first. Works without it: the table above the form lists every field and its state.
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
  const banner = document.getElementById("import-pending");
  const pending = banner ? Number(banner.dataset.pending || 0) : 0;
  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (!pending || !button || button.value !== "submit") return;
    if (!window.confirm(`还有 ${pending} 项识别结果（待核对）尚未核对，仍要送签发吗？`)) event.preventDefault();
  });
})();
