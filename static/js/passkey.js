// Passkeys (WebAuthn): the browser half of registering one on the account's
// second-factor page and of using one at sign-in's second step. The server
// sends the options as JSON with binary fields in base64url; the browser API
// wants ArrayBuffers, and the answer goes back as base64url again. Without
// this file (or without WebAuthn in the browser) the passkey parts stay
// hidden and the authenticator app and recovery codes work as before.
"use strict";

(function () {
  var box = document.querySelector("[data-passkey-register], [data-passkey-login]");
  if (!box || !window.fetch || !window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  var registering = box.hasAttribute("data-passkey-register");
  var optionsURL = box.getAttribute(registering ? "data-passkey-register" : "data-passkey-login");
  var finishURL = box.getAttribute("data-passkey-finish");
  var button = box.querySelector("[data-passkey-start]");
  var status = box.querySelector("[data-passkey-status]");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var noscript = document.querySelector("[data-passkey-noscript]");
  if (noscript) {
    noscript.hidden = true;
  }
  box.hidden = false;

  function toBuffer(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, body) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (tokenMeta) { headers["X-CSRF-Token"] = tokenMeta.getAttribute("content"); }
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers, body: body ? JSON.stringify(body) : "{}" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      });
  }

  function say(text) {
    if (status) { status.textContent = text || ""; }
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: toBuffer(c.id), transports: c.transports };
    });
  }

  function register() {
    var name = box.querySelector("#passkey-name");
    return post(optionsURL).then(function (o) {
      var pk = o.publicKey;
      pk.challenge = toBuffer(pk.challenge);
      pk.user.id = toBuffer(pk.user.id);
      pk.excludeCredentials = descriptors(pk.excludeCredentials);
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (cred) {
      var r = cred.response;
      return post(finishURL + "?name=" + encodeURIComponent(name ? name.value : ""), {
        id: cred.id,
        rawId: toB64url(cred.rawId),
        type: cred.type,
        response: {
          attestationObject: toB64url(r.attestationObject),
          clientDataJSON: toB64url(r.clientDataJSON),
          transports: r.getTransports ? r.getTransports() : []
        }
      });
    }).then(function (answer) {
      var codes = answer.recovery_codes || [];
      if (codes.length) {
        var section = box.querySelector("[data-passkey-codes]");
        var list = section.querySelector("ol");
        codes.forEach(function (c) {
          var li = document.createElement("li");
          var code = document.createElement("code");
          code.textContent = c;
          li.appendChild(code);
          list.appendChild(li);
        });
        section.hidden = false;
        say(status.getAttribute("data-added"));
        return;
      }
      window.location.assign("/account/second-factor");
    });
  }

  function signIn() {
    return post(optionsURL).then(function (o) {
      var pk = o.publicKey;
      pk.challenge = toBuffer(pk.challenge);
      pk.allowCredentials = descriptors(pk.allowCredentials);
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (cred) {
      var r = cred.response;
      return post(finishURL, {
        id: cred.id,
        rawId: toB64url(cred.rawId),
        type: cred.type,
        response: {
          authenticatorData: toB64url(r.authenticatorData),
          clientDataJSON: toB64url(r.clientDataJSON),
          signature: toB64url(r.signature),
          userHandle: r.userHandle ? toB64url(r.userHandle) : ""
        }
      });
    }).then(function (answer) {
      window.location.assign(answer.next || "/assessments");
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("");
    (registering ? register() : signIn()).catch(function () {
      say(status.getAttribute("data-failed"));
    }).then(function () {
      button.disabled = false;
    });
  });
})();
