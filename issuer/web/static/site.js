// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: <button data-copy="#id-of-input">.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const field = document.querySelector(button.dataset.copy);
      if (!field) return;
      await navigator.clipboard.writeText(field.value || field.textContent);
      const status = document.querySelector(button.dataset.status || "#copy-status");
      if (status) status.textContent = button.dataset.done || "Copied";
    });
  }
  // "Select all" checkboxes: <input type="checkbox" data-select-all="name-of-boxes">.
  for (const box of document.querySelectorAll("input[data-select-all]")) {
    box.hidden = false;
    box.addEventListener("change", () => {
      for (const other of document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`)) other.checked = box.checked;
    });
  }
  // Print buttons: <button data-print hidden>.
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  // A page showing work in progress reloads itself until the work is done: <div data-reload-seconds="2">.
  const reload = document.querySelector("[data-reload-seconds]");
  if (reload) setTimeout(() => window.location.reload(), Number(reload.dataset.reloadSeconds) * 1000);
});
