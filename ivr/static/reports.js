// The record page: show a transcript in place when asked for, copy entities.
// (CSP: no inline script; without this file the transcript opens as its own page.)
"use strict";

document.querySelectorAll("form.transcript-form").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var box = form.nextElementSibling;
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action + "?fragment=1", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        // The fragment is rendered by the server with every value escaped.
        box.innerHTML = html;
        box.hidden = false;
        form.hidden = true;
      })
      .catch(function () { form.submit(); });
  });
});

document.querySelectorAll("button.copy").forEach(function (button) {
  button.addEventListener("click", function () {
    var value = button.getAttribute("data-copy") || "";
    if (navigator.clipboard) {
      navigator.clipboard.writeText(value).then(function () {
        button.classList.add("copied");
      });
    }
  });
});
