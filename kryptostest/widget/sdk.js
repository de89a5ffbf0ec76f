/*
 * The Kryptos Connect widget, as the kryptos-go sandbox serves it: a
 * stand-in for @kryptos_connect/web-sdk that speaks the same contract
 * (WIDGET.md), for both generations of its browser API:
 *
 *   KryptosConnect.create({linkToken, onSuccess, onExit, onEvent, language, theme}).open()
 *
 *   KryptosConnect.init({clientId, appName, appLogo, theme, language, authMethods, cssVars})
 *   KryptosConnect.renderButton(container, {generateLinkToken, onConnectSuccess, onConnectError,
 *                                           integrationName, extraConfig: {prefill: {...}}})
 *   (renderButton is the framework-free form of <KryptosConnectButton .../>; the
 *   <kryptos-connect-button> element takes the same props as properties.)
 *
 * It talks to the sandbox that served it, with the link token in X-LINK-TOKEN.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var BASE = script ? new URL(script.src).origin : window.location.origin;
  var EVENTS = ["OPEN", "EXIT", "HANDOFF", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS", "SUCCESS", "ERROR"];

  var TEXT = {
    en: { title: "Connect your crypto accounts", email: "Continue with email", guest: "Continue as guest", send: "Send code",
          verify: "Verify", choose: "Choose an account to connect", address: "Wallet address", apiKey: "API key",
          secretKey: "Secret key", connect: "Connect", consent: "asks to read:", allow: "Allow", deny: "Deny", done: "Connected" },
    fr: { title: "Connectez vos comptes crypto", email: "Continuer avec un e-mail", guest: "Continuer en invité", send: "Envoyer le code",
          verify: "Vérifier", choose: "Choisissez un compte", address: "Adresse du portefeuille", apiKey: "Clé API",
          secretKey: "Clé secrète", connect: "Connecter", consent: "demande à lire :", allow: "Autoriser", deny: "Refuser", done: "Connecté" },
    de: { title: "Krypto-Konten verbinden", email: "Mit E-Mail fortfahren", guest: "Als Gast fortfahren", send: "Code senden",
          verify: "Bestätigen", choose: "Konto auswählen", address: "Wallet-Adresse", apiKey: "API-Schlüssel",
          secretKey: "Geheimer Schlüssel", connect: "Verbinden", consent: "möchte lesen:", allow: "Erlauben", deny: "Ablehnen", done: "Verbunden" },
    es: { title: "Conecta tus cuentas cripto", email: "Continuar con correo", guest: "Continuar como invitado", send: "Enviar código",
          verify: "Verificar", choose: "Elige una cuenta", address: "Dirección de la billetera", apiKey: "Clave API",
          secretKey: "Clave secreta", connect: "Conectar", consent: "quiere leer:", allow: "Permitir", deny: "Denegar", done: "Conectado" },
    pt: { title: "Ligue as suas contas cripto", email: "Continuar com e-mail", guest: "Continuar como convidado", send: "Enviar código",
          verify: "Verificar", choose: "Escolha uma conta", address: "Endereço da carteira", apiKey: "Chave API",
          secretKey: "Chave secreta", connect: "Ligar", consent: "pede para ler:", allow: "Permitir", deny: "Recusar", done: "Ligado" },
    sv: { title: "Anslut dina kryptokonton", email: "Fortsätt med e-post", guest: "Fortsätt som gäst", send: "Skicka kod",
          verify: "Verifiera", choose: "Välj ett konto", address: "Plånboksadress", apiKey: "API-nyckel",
          secretKey: "Hemlig nyckel", connect: "Anslut", consent: "vill läsa:", allow: "Tillåt", deny: "Neka", done: "Ansluten" },
    pl: { title: "Połącz konta krypto", email: "Kontynuuj przez e-mail", guest: "Kontynuuj jako gość", send: "Wyślij kod",
          verify: "Weryfikuj", choose: "Wybierz konto", address: "Adres portfela", apiKey: "Klucz API",
          secretKey: "Klucz tajny", connect: "Połącz", consent: "chce odczytać:", allow: "Zezwól", deny: "Odmów", done: "Połączono" },
    it: { title: "Collega i tuoi conti cripto", email: "Continua con e-mail", guest: "Continua come ospite", send: "Invia codice",
          verify: "Verifica", choose: "Scegli un conto", address: "Indirizzo del portafoglio", apiKey: "Chiave API",
          secretKey: "Chiave segreta", connect: "Collega", consent: "chiede di leggere:", allow: "Consenti", deny: "Nega", done: "Collegato" }
  };

  var settings = { appName: "This app", theme: "light", language: "en", authMethods: ["email", "anonymous"], cssVars: {} };

  function api(linkToken, method, path, body) {
    return fetch(BASE + path, {
      method: method,
      headers: { "Content-Type": "application/json", "X-LINK-TOKEN": linkToken },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (json) {
        if (!resp.ok || json.success === false) {
          var err = new Error(json.error || ("HTTP " + resp.status));
          err.code = json.code;
          throw err;
        }
        return json.data;
      });
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "onclick") node.addEventListener("click", attrs[k]);
      else if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  // A Session is one opening of the widget for one link token.
  function Session(opts) {
    this.opts = opts;
    this.t = TEXT[opts.language] || TEXT[settings.language] || TEXT.en;
    this.guest = false;
    this.email = "";
    this.finished = false;
  }

  Session.prototype.event = function (name, meta) {
    if (this.opts.onEvent) this.opts.onEvent(name, meta || {});
  };

  Session.prototype.open = function () {
    var self = this;
    var theme = this.opts.theme === "dark" || (this.opts.theme === "auto" && window.matchMedia &&
      window.matchMedia("(prefers-color-scheme: dark)").matches) ? "dark" : "light";
    this.overlay = el("div", { id: "kc-modal", "class": "kc-overlay kc-" + theme, role: "dialog", "aria-modal": "true" });
    Object.keys(settings.cssVars || {}).forEach(function (k) { self.overlay.style.setProperty(k, settings.cssVars[k]); });
    this.panel = el("div", { "class": "kc-panel" });
    this.overlay.appendChild(this.panel);
    document.body.appendChild(this.overlay);
    this.event("OPEN", {});
    api(this.opts.linkToken, "GET", "/widget/session").then(function (s) {
      self.session = s;
      // The newer API picks the flow from generateLinkToken's isAuthorized,
      // as the real widget does (true = skip authentication); the older
      // one from the link token.
      self.returning = self.opts.isAuthorized === undefined ? s.returning : self.opts.isAuthorized === true;
      if (self.returning) return self.integrations();
      return self.auth();
    }).catch(function (err) { self.fail(err); });
  };

  Session.prototype.screen = function (title, children) {
    var self = this;
    this.panel.innerHTML = "";
    this.panel.appendChild(el("div", { "class": "kc-head" }, [
      el("span", { "class": "kc-brand", text: "Kryptos" }),
      el("button", { id: "kc-close", "class": "kc-close", "aria-label": "Close", text: "×", onclick: function () { self.close(); } })
    ]));
    this.panel.appendChild(el("h2", { text: title }));
    this.notice = el("p", { id: "kc-error", "class": "kc-error", role: "alert" });
    this.panel.appendChild(this.notice);
    children.forEach(function (c) { self.panel.appendChild(c); });
  };

  Session.prototype.showError = function (err) {
    this.notice.textContent = err.message;
    this.event("ERROR", { error_code: err.code || "", error_message: err.message });
  };

  Session.prototype.auth = function () {
    var self = this, t = this.t, methods = this.opts.authMethods || settings.authMethods, items = [];
    if (methods.indexOf("email") >= 0) {
      var email = el("input", { id: "kc-email", type: "email", placeholder: "you@example.com", "aria-label": "Email" });
      items.push(email, el("button", { id: "kc-send-code", "class": "kc-primary", text: t.send, onclick: function () {
        api(self.opts.linkToken, "POST", "/widget/otp/request", { email: email.value }).then(function () {
          self.email = email.value;
          self.otp();
        }).catch(function (err) { self.showError(err); });
      } }));
    }
    if (methods.indexOf("anonymous") >= 0) {
      items.push(el("button", { id: "kc-guest", "class": "kc-secondary", text: t.guest, onclick: function () {
        self.guest = true;
        self.integrations();
      } }));
    }
    this.screen(t.title, items);
  };

  Session.prototype.otp = function () {
    var self = this, t = this.t;
    var code = el("input", { id: "kc-otp", inputmode: "numeric", autocomplete: "one-time-code", "aria-label": "Code" });
    this.screen(t.title, [
      el("p", { id: "kc-sandbox-otp", "class": "kc-hint", text: "Sandbox: the code sent to " + this.email + " is " + this.session.sandboxOtp }),
      code,
      el("button", { id: "kc-verify", "class": "kc-primary", text: t.verify, onclick: function () {
        api(self.opts.linkToken, "POST", "/widget/otp/verify", { email: self.email, otp: code.value })
          .then(function () { self.integrations(); })
          .catch(function (err) { self.showError(err); });
      } })
    ]);
  };

  Session.prototype.integrations = function (err) {
    var self = this;
    var wanted = err ? "" : this.opts.integrationName;
    var providers = this.session.providers;
    if (wanted) {
      var only = providers.filter(function (p) { return p.id === wanted; })[0];
      if (only) return this.credentials(only);
    }
    this.screen(this.t.choose, [el("ul", { "class": "kc-list" }, providers.map(function (p) {
      return el("li", {}, [el("button", { id: "kc-provider-" + p.id, "class": "kc-provider", onclick: function () { self.credentials(p); } }, [
        el("img", { src: p.logo, alt: "" }), el("span", { text: p.name + (p.allowed ? "" : " (not in sandbox mode)") })
      ])]);
    }))]);
    if (err) this.showError(err);
  };

  Session.prototype.credentials = function (p, err) {
    var self = this, t = this.t, prefill = (this.opts.extraConfig && this.opts.extraConfig.prefill) || {};
    if (!err) this.event("SELECT_INSTITUTION", { institution_id: p.id, institution_name: p.name });
    this.provider = p;
    var fields = [];
    var address = el("input", { id: "kc-address", "aria-label": t.address, placeholder: t.address });
    if (p.needs === "api_key") {
      address.setAttribute("placeholder", t.apiKey);
      address.setAttribute("aria-label", t.apiKey);
      address.value = prefill.apiKey || prefill.accountName || "";
      fields.push(address, el("input", { id: "kc-secret", type: "password", "aria-label": t.secretKey, placeholder: t.secretKey, value: prefill.secretKey || "" }));
    } else {
      address.value = prefill.address || (p.testAddress || "");
      fields.push(address);
    }
    if (err && this.wallet) address.value = this.wallet.address; // what was refused, to correct
    fields.push(el("button", { id: "kc-submit", "class": "kc-primary", text: t.connect, onclick: function () {
      self.event("SUBMIT_CREDENTIALS", { institution_id: p.id });
      self.wallet = { provider: p.id, address: address.value };
      if (self.returning) return self.complete(false);
      self.consent();
    } }));
    this.screen(p.name, fields);
    if (err) this.showError(err);
  };

  Session.prototype.consent = function () {
    var self = this, t = this.t;
    this.screen(settings.appName + " " + t.consent, [
      el("ul", { id: "kc-scopes", "class": "kc-scopes" }, this.session.scopes.map(function (s) { return el("li", { text: s }); })),
      el("div", { "class": "kc-row" }, [
        el("button", { id: "kc-deny", "class": "kc-secondary", text: t.deny, onclick: function () { self.complete(true); } }),
        el("button", { id: "kc-allow", "class": "kc-primary", text: t.allow, onclick: function () { self.complete(false); } })
      ])
    ]);
  };

  Session.prototype.complete = function (deny) {
    var self = this;
    if (this.completing) return; // a double click on Allow answers once
    this.completing = true;
    api(this.opts.linkToken, "POST", "/widget/complete", { guest: this.guest, wallets: [this.wallet], deny: deny }).then(function (data) {
      // No HANDOFF: it means the user switched to a browser flow, which this
      // widget, all in the page, never does.
      self.event("SUCCESS", { returning: data.public_token === null });
      self.finish(function () { self.opts.success(data.public_token); });
    }).catch(function (err) {
      if (err.code === "SANDBOX_ADDRESS_NOT_ALLOWED" || err.code === "SANDBOX_PROVIDER_NOT_ALLOWED" || err.code === "VALIDATION_ERROR") {
        // The user may correct it: back to the account list, or to the
        // address, with the error shown there.
        self.completing = false;
        if (err.code === "SANDBOX_PROVIDER_NOT_ALLOWED") return self.integrations(err);
        return self.credentials(self.provider, err);
      }
      self.fail(err);
    });
  };

  Session.prototype.fail = function (err) {
    var self = this;
    this.event("ERROR", { error_code: err.code || "", error_message: err.message });
    this.event("EXIT", { error_code: err.code || "" });
    this.finish(function () { self.opts.exit(err); });
  };

  Session.prototype.close = function () {
    var self = this;
    this.event("EXIT", {});
    this.finish(function () { self.opts.exit(null); });
  };

  Session.prototype.finish = function (then) {
    if (this.finished) return;
    this.finished = true;
    if (this.overlay && this.overlay.parentNode) this.overlay.parentNode.removeChild(this.overlay);
    then();
  };

  function addStyle() {
    if (document.getElementById("kc-style")) return;
    var link = el("link", { id: "kc-style", rel: "stylesheet", href: BASE + "/widget/widget.css" });
    document.head.appendChild(link);
  }

  var KryptosConnect = {
    events: EVENTS.slice(),

    // The older API (seed 000): create(...).open().
    create: function (config) {
      if (!config || !config.linkToken) throw new Error("KryptosConnect.create: linkToken is required");
      if (typeof config.onSuccess !== "function") throw new Error("KryptosConnect.create: onSuccess is required");
      addStyle();
      var session = null;
      return {
        open: function () {
          session = new Session({
            linkToken: config.linkToken, onEvent: config.onEvent, language: config.language,
            theme: (config.theme && config.theme.mode) || settings.theme,
            success: function (publicToken) { config.onSuccess(publicToken); },
            exit: function (err) { if (config.onExit) config.onExit(err); }
          });
          session.open();
        },
        exit: function () { if (session) session.close(); },
        destroy: function () { if (session) session.close(); }
      };
    },

    // The newer API (2026): init(...) once, then a button.
    init: function (config) {
      Object.keys(config || {}).forEach(function (k) { settings[k] = config[k]; });
      addStyle();
    },

    renderButton: function (container, props) {
      addStyle();
      var button = el("button", { id: "kc-connect-button", "class": "kc-connect-button", type: "button", text: props.label || "Connect with Kryptos" });
      button.addEventListener("click", function () {
        button.disabled = true;
        Promise.resolve().then(function () { return props.generateLinkToken(); }).then(function (res) {
          if (!res || typeof res !== "object" || !res.link_token) {
            throw new Error("generateLinkToken must resolve to {link_token, isAuthorized}");
          }
          new Session({
            linkToken: res.link_token, isAuthorized: res.isAuthorized === true, integrationName: props.integrationName, extraConfig: props.extraConfig,
            language: settings.language, theme: settings.theme, authMethods: settings.authMethods, onEvent: props.onEvent,
            success: function (publicToken) {
              button.disabled = false;
              if (props.onConnectSuccess) props.onConnectSuccess(publicToken === null ? null : { public_token: publicToken });
            },
            exit: function (err) {
              button.disabled = false;
              if (props.onConnectError) props.onConnectError(err || new Error("The user closed the widget"));
            }
          }).open();
        }).catch(function (err) {
          button.disabled = false;
          if (props.onConnectError) props.onConnectError(err);
        });
      });
      container.appendChild(button);
      return button;
    }
  };

  if (window.customElements && !window.customElements.get("kryptos-connect-button")) {
    window.customElements.define("kryptos-connect-button", class extends HTMLElement {
      connectedCallback() {
        var self = this;
        KryptosConnect.renderButton(this, {
          generateLinkToken: function () { return self.generateLinkToken(); },
          onConnectSuccess: function (c) { if (self.onConnectSuccess) self.onConnectSuccess(c); },
          onConnectError: function (e) { if (self.onConnectError) self.onConnectError(e); },
          integrationName: this.integrationName || this.getAttribute("integration-name"),
          extraConfig: this.extraConfig, label: this.getAttribute("label")
        });
      }
    });
  }

  window.KryptosConnect = KryptosConnect;
})();
