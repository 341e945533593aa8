// The test call page: each key press (or "Send keys") is one POST that advances the
// simulated call on the server; the paused call comes back as an opaque signed token.
// (CSP: no inline script.) Labels come translated in the form's data- attributes.
"use strict";

(function () {
  var form = document.getElementById("softphone");
  if (!form) { return; }
  var log = document.getElementById("call-log");
  var status = document.getElementById("call-status");
  var typed = document.getElementById("typed");
  var keys = form.querySelectorAll("button.key");
  var send = document.getElementById("send-keys");
  var silence = document.getElementById("no-input");
  var hangup = document.getElementById("call-hangup");
  var start = document.getElementById("call-start");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var state = null;
  var waiting = null;
  var buffer = "";

  function label(name) { return form.getAttribute("data-" + name) || ""; }

  function setInCall(inCall) {
    keys.forEach(function (k) { k.disabled = !inCall; });
    send.disabled = silence.disabled = hangup.disabled = !inCall;
    start.disabled = inCall;
  }

  function say(actor, text, cls) {
    var item = document.createElement("li");
    item.className = cls || actor;
    var who = actor === "ivr" ? label("label-ivr") : actor === "caller" ? label("label-caller") : label("label-line");
    item.textContent = who + ": " + text;  // textContent: nothing from the server is HTML
    log.appendChild(item);
  }

  function show(answer) {
    answer.lines.forEach(function (line) {
      var text = line.text || line.kind;
      if (line.kind === "press") { text = "[" + line.text + "]"; }
      say(line.actor, text);
    });
    answer.errors.forEach(function (error) { say("twilio", error, "error"); });
    state = answer.state;
    waiting = answer.waiting;
    buffer = "";
    typed.textContent = "";
    setInCall(!answer.ended);
    status.textContent = "";
    if (answer.ended) {
      var note = label("msg-ended");
      if (answer.voicemail_fetched === true) { note += " " + label("msg-fetched"); }
      if (answer.voicemail_fetched === false) { note += " " + label("msg-not-fetched"); }
      status.textContent = note;
    }
  }

  function post(url, fields) {
    var body = new FormData();
    var file = form.querySelector("input[name=voicemail]").files[0];
    if (file) { body.append("voicemail", file); }
    Object.keys(fields).forEach(function (name) { body.append(name, fields[name]); });
    setInCall(false);
    start.disabled = true;
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin", cache: "no-store",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Error(answer.message || label("msg-failed")); }
        show(answer);
      });
    }).catch(function (error) {
      status.textContent = error.message || label("msg-failed");
      setInCall(state !== null);
    });
  }

  function answer(value) { return post(form.getAttribute("data-key-url"), { state: state, keys: value }); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    log.textContent = "";
    state = null;
    post(form.action, {});
  });
  keys.forEach(function (button) {
    button.addEventListener("click", function () {
      buffer += button.getAttribute("data-key");
      typed.textContent = buffer;
      var done = waiting && ((waiting.num_digits && buffer.length >= waiting.num_digits) ||
        (waiting.finish_on_key && buffer.slice(-1) === waiting.finish_on_key));
      if (done) { answer(buffer); }
    });
  });
  send.addEventListener("click", function () { answer(buffer); });
  silence.addEventListener("click", function () { answer(""); });
  hangup.addEventListener("click", function () { answer("hangup"); });
}());
