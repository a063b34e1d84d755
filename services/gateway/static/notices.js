// The notice forms: add repeated rows (asks, form fields, routes, contacts), fill a form template, select a
// group of units. Everything works without it (the pages give blank rows); this only saves typing.
"use strict";

function addRow(container) {
  const template = document.getElementById(container.dataset.template);
  const index = container.querySelectorAll(":scope > [data-row]").length;
  const html = template.innerHTML.replaceAll("__NAME__", container.dataset.name).replaceAll("__I__", String(index));
  container.insertAdjacentHTML("beforeend", html);
  return container.lastElementChild;
}

function rowsOf(button) {
  // The rows a button adds to: the nearest preceding [data-rows] sibling (or the one in the table before it).
  let el = button.previousElementSibling;
  while (el && !el.matches("[data-rows]") && !el.querySelector("[data-rows]")) el = el.previousElementSibling;
  if (!el) return null;
  return el.matches("[data-rows]") ? el : el.querySelector("[data-rows]");
}

function fillTemplate(select) {
  const presets = JSON.parse(document.getElementById("form-templates").textContent);
  const preset = presets.find((p) => p.template_id === select.value);
  if (!preset) return;
  const block = select.closest("fieldset.ask");
  const field = (suffix) => block.querySelector(`[name$="-${suffix}"]:not([name*="-fields-"]):not([name*="-routes-"])`);
  if (!field("title").value) field("title").value = preset.title;
  field("kind").value = preset.kind;
  field("min_items").value = preset.min_items;
  field("max_items").value = preset.max_items;
  const rows = block.querySelector("[data-rows][data-template='tpl-field']");
  rows.querySelectorAll(":scope > [data-row]").forEach((r) => r.remove());
  for (const f of preset.fields) {
    const row = addRow(rows);
    const input = (suffix) => row.querySelector(`[name$="-${suffix}"]`);
    input("label").value = f.label;
    input("key").value = f.key;
    input("type").value = f.type;
    input("max_chars").value = f.max_chars || "";
    input("options").value = (f.options || []).join("、");
    input("accept").value = (f.accept || []).join(",");
    input("required").checked = f.required;
  }
}

document.addEventListener("click", (event) => {
  const add = event.target.closest("button[data-add]");
  if (add) {
    const rows = rowsOf(add);
    if (rows) addRow(rows);
    return;
  }
  const all = event.target.closest("button[data-check-all]");
  if (all) {
    const boxes = all.closest("[data-group]").querySelectorAll("input[type=checkbox]");
    const check = Array.from(boxes).some((b) => !b.checked);
    boxes.forEach((b) => { b.checked = check; });
  }
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-preset]")) fillTemplate(event.target);
});
