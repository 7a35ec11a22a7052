// DMF progressive enhancement. Every page works without this file; with it
// the questionnaire saves each answer as it changes, retries when the
// connection drops, keeps answers typed while signed out until the user
// signs in again, offers to stay signed in before the session idles out, and keeps "not applicable" and "none of these"
// consistent while the user clicks.
"use strict";

(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.JSON) {
    return;
  }
  var endpoint = form.getAttribute("data-autosave");
  var status = form.querySelector(".save-status");
  var versionInput = form.querySelector('input[name="version"]');
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var pending = {};      // indicator id -> true: changed, not yet saved
  var inFlight = false;
  var stopped = false;   // after a conflict or invalid answer: the Save button takes over
  var retryDelay = 1000;
  var retryTimer = null;
  var submitAfterSave = false;
  var unsure = {};       // indicator id -> answers sent by requests whose reply was lost

  function say(key, kind) {
    if (!status) { return; }
    status.textContent = status.getAttribute("data-" + key) || "";
    status.classList.toggle("is-error", kind === "error");
    status.classList.toggle("is-ok", kind === "ok");
  }

  function field(id, name) {
    return form.querySelector('[name="' + id + "." + name + '"]');
  }

  function checked(id, name) {
    return Array.prototype.map.call(
      form.querySelectorAll('input[name="' + id + "." + name + '"]:checked'),
      function (el) { return el.value; });
  }

  function text(id, name) {
    var el = field(id, name);
    return el ? el.value.replace(/\r\n/g, "\n").trim() : "";
  }

  // answerOf reads one indicator's answer as the server reads the form.
  function answerOf(id) {
    var a = {};
    var level = checked(id, "level");
    if (level.length) { a.level = parseInt(level[0], 10); }
    var selected = checked(id, "selected");
    if (selected.length) { a.selected = selected; }
    var value = text(id, "value");
    if (value !== "") {
      var n = Number(value.replace(",", "."));
      if (isNaN(n)) { return null; }
      a.value = n;
    }
    var t = text(id, "text");
    if (t) { a.text = t; }
    if (checked(id, "na").length) {
      a = { na: true };
    }
    var justification = text(id, "justification");
    if (justification) { a.justification = justification; }
    var comment = text(id, "comment");
    if (comment) { a.comment = comment; }
    var evidence = text(id, "evidence").split("\n").map(function (s) { return s.trim(); })
      .filter(function (s) { return s !== ""; });
    if (evidence.length) { a.evidence = evidence; }
    return a;
  }

  function schedule(delay) {
    if (retryTimer) { clearTimeout(retryTimer); }
    retryTimer = setTimeout(function () { retryTimer = null; save(); }, delay);
  }

  function save() {
    if (inFlight || stopped || isSignedOut) { return; }
    var ids = Object.keys(pending);
    if (!ids.length) {
      if (submitAfterSave) { form.submit(); }
      return;
    }
    var answers = {};
    for (var i = 0; i < ids.length; i++) {
      var a = answerOf(ids[i]);
      if (a === null) { stop("invalid"); return; }
      answers[ids[i]] = a;
    }
    pending = {};
    inFlight = true;
    say("saving");
    send(answers);
  }

  // send puts answers; inFlight stays true until the reply is read and the
  // version updated, so that no second save starts from the old version.
  function send(answers) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (tokenMeta) { headers["X-CSRF-Token"] = tokenMeta.getAttribute("content"); }
    fetch(endpoint, {
      method: "PUT",
      credentials: "same-origin",
      headers: headers,
      body: JSON.stringify({ version: parseInt(versionInput.value, 10), answers: answers })
    }).then(function (resp) {
      if (resp.ok) {
        return resp.json().then(function (body) { saved(body.version); });
      }
      if (resp.status === 409) {
        return resp.json().then(function (body) { return conflict(body.error || {}, answers); });
      }
      if (resp.status === 401) { inFlight = false; requeue(answers); return signedOut(); }
      if (resp.status === 422 || resp.status === 400) { inFlight = false; return stop("invalid", answers); }
      throw new Error("status " + resp.status);
    }).catch(function () {
      // The request was dropped or the server failed: keep the answers and
      // try again after 1 s, 2 s, 4 s… up to half a minute. The server may
      // have saved them before the reply was lost; remember what was sent.
      inFlight = false;
      Object.keys(answers).forEach(function (id) {
        (unsure[id] = unsure[id] || []).push(canonical(answers[id]));
      });
      requeue(answers);
      say("offline", "error");
      schedule(retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  function saved(version) {
    lastContact = Date.now();
    versionInput.value = version;
    inFlight = false;
    unsure = {};
    retryDelay = 1000;
    if (Object.keys(pending).length) { save(); return; }
    say("saved", "ok");
    if (submitAfterSave) { form.submit(); }
  }

  // conflict: a save from an older version. If the only changes since are
  // this page's own answers from a request whose reply was lost, the save
  // did get through: carry on from the current version. Anything else is a
  // colleague's change, and the Save button shows it.
  function conflict(err, answers) {
    if (!Object.keys(unsure).length) { inFlight = false; return stop("conflict", answers); }
    return fetch(endpoint.replace(/\/answers$/, ""), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error("status " + resp.status); }
        return resp.json();
      }).then(function (current) {
        var ours = (err.changed || []).every(function (id) {
          return (unsure[id] || []).indexOf(canonical((current.answers || {})[id])) >= 0;
        });
        if (!ours) { inFlight = false; stop("conflict", answers); return; }
        versionInput.value = current.version;
        unsure = {};
        send(answers);
      });
  }

  // canonical is an answer as JSON with its keys sorted, for comparison.
  function canonical(a) {
    if (!a) { return ""; }
    return JSON.stringify(Object.keys(a).sort().reduce(function (o, k) { o[k] = a[k]; return o; }, {}));
  }

  function requeue(answers) {
    Object.keys(answers).forEach(function (id) { pending[id] = true; });
  }

  function stop(key, answers) {
    stopped = true;
    if (answers) { requeue(answers); }
    say(key, "error");
    if (submitAfterSave) { form.submit(); }
  }

  function indicatorOf(el) {
    var q = el.closest ? el.closest("fieldset.question") : null;
    return q ? q.getAttribute("data-indicator") : null;
  }

  function changed(el, delay) {
    var id = indicatorOf(el);
    if (!id) { return; }
    pending[id] = true;
    schedule(delay);
  }

  // "Not applicable" disables the answer inputs of its indicator, and
  // "none of these" cannot be combined with other items.
  function syncNA(q) {
    var na = q.querySelector('input[name$=".na"]');
    if (!na) { return; }
    q.querySelectorAll('input[name$=".level"], input[name$=".selected"], input[name$=".value"], textarea[name$=".text"]')
      .forEach(function (el) { el.disabled = na.checked; });
  }

  function syncExclusive(el) {
    if (el.type !== "checkbox" || !/\.selected$/.test(el.name) || !el.checked) { return; }
    var exclusive = el.hasAttribute("data-exclusive");
    form.querySelectorAll('input[name="' + el.name + '"]').forEach(function (other) {
      if (other !== el && (exclusive || other.hasAttribute("data-exclusive"))) { other.checked = false; }
    });
  }

  form.querySelectorAll("fieldset.question").forEach(syncNA);

  form.addEventListener("change", function (e) {
    var el = e.target;
    syncExclusive(el);
    var q = el.closest ? el.closest("fieldset.question") : null;
    if (q && /\.na$/.test(el.name)) { syncNA(q); }
    changed(el, el.tagName === "TEXTAREA" || el.type === "text" ? 300 : 0);
  });
  form.addEventListener("input", function (e) {
    if (e.target.tagName === "TEXTAREA" || e.target.type === "text") { changed(e.target, 1500); }
  });

  // The Save buttons still post the form; wait for a save in progress so
  // that the post carries the newest version and is not a false conflict.
  form.addEventListener("submit", function (e) {
    if (isSignedOut) {
      // The session cookie is gone: a post now would only meet the
      // sign-in page. Keep the answers here and point to signing in.
      e.preventDefault();
      if (signedOutBox) { signedOutBox.focus(); }
      return;
    }
    if (stopped) { return; }
    if (inFlight || Object.keys(pending).length) {
      e.preventDefault();
      var action = e.submitter && e.submitter.name === "action" ? e.submitter.value : "save";
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = "action"; hidden.value = action;
      form.appendChild(hidden);
      submitAfterSave = true;
      save();
    }
  });

  // Signed out while the page was open: the answers stay on the page and
  // are saved once the same user signs in again, in another tab. Checked
  // when the user comes back to this tab and every 20 s meanwhile.
  var signedOutBox = document.getElementById("signed-out");
  var idleWarning = document.getElementById("idle-warning");
  var pageUser = form.getAttribute("data-user");
  var idleMs = parseInt(form.getAttribute("data-idle"), 10) * 1000;
  var lastContact = Date.now();
  var isSignedOut = false;
  var checkTimer = null;

  function signedOut() {
    if (isSignedOut) { return; }
    isSignedOut = true;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    say("signedout", "error");
    if (idleWarning) { idleWarning.hidden = true; }
    if (signedOutBox) { signedOutBox.hidden = false; }
    checkTimer = setInterval(checkSession, 20000);
  }

  // session asks who is signed in now; POST also keeps the session alive.
  function session(method) {
    var headers = { "Accept": "application/json" };
    if (tokenMeta) { headers["X-CSRF-Token"] = tokenMeta.getAttribute("content"); }
    var url = method === "POST" ? "/api/v1/session/refresh" : "/api/v1/session";
    return fetch(url, { method: method, credentials: "same-origin", headers: headers }).then(function (resp) {
      if (resp.status === 401) { return null; }
      if (!resp.ok) { throw new Error("status " + resp.status); }
      return resp.json();
    });
  }

  function checkSession() {
    if (!isSignedOut) { return; }
    session("GET").then(function (me) {
      if (!me) { return; }
      var other = signedOutBox ? signedOutBox.querySelector(".session-other") : null;
      if (String(me.user_id) !== pageUser) {
        if (other) { other.hidden = false; }
        return;
      }
      // Signed in again as the same user: the new session has its own
      // form token. Save what waited.
      if (tokenMeta && me.csrf) { tokenMeta.setAttribute("content", me.csrf); }
      form.querySelectorAll('input[name="_csrf"]').forEach(function (el) { el.value = me.csrf; });
      isSignedOut = false;
      clearInterval(checkTimer);
      if (other) { other.hidden = true; }
      if (signedOutBox) { signedOutBox.hidden = true; }
      lastContact = Date.now();
      retryDelay = 1000;
      if (Object.keys(pending).length) { save(); } else { say("saved", "ok"); }
    }).catch(function () {});
  }

  window.addEventListener("focus", checkSession);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { checkSession(); }
  });

  // A few minutes before the session would idle out, offer to stay signed in.
  function checkIdle() {
    if (isSignedOut || !idleWarning || !idleMs) { return; }
    idleWarning.hidden = Date.now() - lastContact < idleMs - 5 * 60 * 1000;
  }
  if (idleWarning) {
    setInterval(checkIdle, 15000);
    document.getElementById("stay-signed-in").addEventListener("click", function () {
      session("POST").then(function (me) {
        if (!me) { signedOut(); return; }
        lastContact = Date.now();
        idleWarning.hidden = true;
      }).catch(function () {});
    });
  }

  window.addEventListener("beforeunload", function (e) {
    if (!submitAfterSave && (inFlight || Object.keys(pending).length)) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
})();
