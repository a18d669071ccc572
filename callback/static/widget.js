/*
 * Callback widget. Embed on any page:
 *   <script src="https://HOST/widget.js" data-widget="KEY" async></script>
 * Optional: data-lang="pl" (else the page's <html lang>, else the widget's language),
 * data-poll-ms="1500" (how often the live status is fetched).
 * Plain JavaScript, no dependencies, no requests to anyone but HOST. Styles live in a
 * shadow root, so the host page's CSS neither leaks in nor is touched. Every text comes
 * from the server's configuration (callback/texts), in the visitor's language.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-widget]");
  var KEY = script && script.getAttribute("data-widget");
  if (!KEY || window.__callbackWidget) return;
  window.__callbackWidget = true;
  var BASE = new URL(script.src, location.href).origin;
  var API = BASE + "/api/v1";
  var POLL_MS = +script.getAttribute("data-poll-ms") || 1500;
  var TERMINAL = ["completed", "failed", "canceled", "expired"];
  // Refusals whose body may not be ours (a proxy's 413 or 429 page): the code by status.
  var BY_STATUS = { 403: "origin_not_allowed", 404: "unknown_widget", 413: "request_entity_too_large",
    429: "rate_limited" };
  var TYPED = /^[0-9+\s().\-/]*$/;

  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:15px;line-height:1.4}" +
    ".launch,.panel{position:fixed;right:20px;z-index:2147483000}" +
    ".left .launch,.left .panel{right:auto;left:20px}" +
    ".launch{bottom:20px;background:var(--c);color:var(--t);border:0;border-radius:999px;padding:12px 20px;font-weight:700;box-shadow:0 4px 14px rgba(0,0,0,.3);cursor:pointer}" +
    ".panel{bottom:84px;width:min(340px,calc(100vw - 40px));max-height:calc(100vh - 104px);overflow:auto;background:#fff;color:#1f2937;border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.3);padding:18px}" +
    "[hidden]{display:none!important}" +
    "h2{margin:0 32px 6px 0;font-size:18px;font-weight:700}" +
    "p{margin:4px 0}" +
    "label{display:block;margin:12px 0 4px;font-weight:600}" +
    "select,input[type=tel]{display:block;width:100%;padding:8px;border:1px solid #6b7280;border-radius:6px;background:#fff;color:#111827}" +
    "[aria-invalid=true]{border-color:#b91c1c;border-width:2px}" +
    ".consent{display:flex;gap:8px;align-items:flex-start;font-weight:400}" +
    ".consent input{margin-top:3px;width:18px;height:18px;flex:none}" +
    ".small{font-size:13px;color:#4b5563}" +
    ".err{color:#b91c1c;font-size:13px;font-weight:600}" +
    ".err:empty{display:none}" +
    ".submit{display:block;width:100%;margin-top:14px;background:var(--c);color:var(--t);border:0;border-radius:6px;padding:11px;font-weight:700;cursor:pointer}" +
    ".submit:disabled{opacity:.7;cursor:wait}" +
    ".x{position:absolute;top:10px;right:10px;background:none;border:0;font-size:24px;line-height:1;color:#374151;cursor:pointer;padding:2px 8px}" +
    ".link{background:none;border:0;padding:0;margin-top:8px;color:#1e3a8a;text-decoration:underline;cursor:pointer}" +
    "a{color:#1e3a8a}" +
    ".status{font-size:16px;font-weight:600;margin:12px 0 4px}" +
    ".status:empty{display:none}" +
    ":focus-visible{outline:3px solid #111827;outline-offset:2px;box-shadow:0 0 0 5px #fff}";

  function el(tag, attrs, kids) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs.text;
      else if (attrs[name] !== null && attrs[name] !== false) node.setAttribute(name, attrs[name]);
    });
    (kids || []).forEach(function (kid) { if (kid) node.appendChild(kid); });
    return node;
  }

  function language() {
    return script.getAttribute("data-lang") || document.documentElement.lang || "";
  }

  /* As-you-type formatting with libphonenumber's patterns, sent by the server. */
  function groups(pattern) {
    var found = [], re = /\(\\d(?:\{(\d+)(?:,(\d+))?\})?\)/g, m;
    while ((m = re.exec(pattern))) found.push(m[1] ? +m[1] : 1);
    return found;
  }

  function pickFormat(digits, country) {
    for (var pass = 0; pass < 2; pass++) {
      for (var i = 0; i < country.formats.length; i++) {
        var f = country.formats[i], lead = f.leading;
        var p = lead.length ? lead[pass ? 0 : lead.length - 1] : "";
        if (!p || new RegExp("^(?:" + p + ")").test(digits)) return f;
      }
    }
    return null;
  }

  function formatDigits(digits, country) {
    var f = digits && pickFormat(digits, country);
    if (!f) return digits;
    var sizes = groups(f.pattern), seps = f.format.match(/\$\d([^$]*)/g) || [], out = "", at = 0;
    for (var i = 0; i < sizes.length && at < digits.length; i++) {
      var take = i === sizes.length - 1 ? digits.length - at : sizes[i];
      out += (i ? seps[i - 1].slice(2) || " " : "") + digits.slice(at, at + take);
      at += take;
    }
    return out;
  }

  function Widget(cfg) {
    var T = cfg.texts, M = cfg.messages, lang = cfg.language, state = {};
    var byCode = {};
    cfg.countries.forEach(function (c) { byCode[c.code] = c; });

    /* Read what was typed: {country, nsn} or {error: code}. Mirrors callback/phones/policy.py. */
    function parse(typed, selected) {
      typed = typed.trim();
      if (!typed) return { error: "phone_required" };
      if (typed.length > 64 || !TYPED.test(typed)) return { error: "invalid_number" };
      var digits = typed.replace(/\D/g, ""), country = selected, nsn;
      if (typed.charAt(0) === "+" || digits.slice(0, 2) === "00") {
        digits = typed.charAt(0) === "+" ? digits : digits.slice(2);
        country = null;
        cfg.countries.forEach(function (c) {
          if (digits.indexOf(c.dial) === 0 && (!country || c.code === selected.code)) country = c;
        });
        if (!country) return { error: "country_not_allowed", digits: digits };
        nsn = digits.slice(country.dial.length);
      } else {
        var np = country.national_prefix;
        nsn = np && digits.indexOf(np) === 0 ? digits.slice(np.length) : digits;
      }
      if (country.lengths.length && country.lengths.indexOf(nsn.length) < 0) {
        return { error: "invalid_number", country: country, nsn: nsn };
      }
      return { country: country, nsn: nsn };
    }

    function display(typed, selected) {
      var r = parse(typed, selected), plus = typed.trim().charAt(0) === "+";
      if (!r.country) return typed;
      var body = formatDigits(r.nsn, r.country);
      if (plus) return "+" + r.country.dial + (body ? " " + body : "");
      if (typed.trim().slice(0, 2) === "00") return typed;
      var np = r.country.national_prefix, digits = typed.replace(/\D/g, "");
      return np && digits.indexOf(np) === 0 ? np + body : body;
    }

    /* Elements */
    var host = el("div", { "data-callback-widget": KEY });
    var root = host.attachShadow({ mode: "open" });
    var side = cfg.theme.position === "bottom-left" ? "left" : "right";
    var wrap = el("div", { class: "wrap " + side, lang: lang });
    wrap.style.setProperty("--c", cfg.theme.colour);
    wrap.style.setProperty("--t", cfg.theme.text_colour);

    var launch = el("button", { type: "button", class: "launch", "aria-expanded": "false",
      "aria-controls": "cb-panel", "aria-haspopup": "dialog", text: T.open });
    var close = el("button", { type: "button", class: "x", "aria-label": T.close, text: "\u00d7" });
    var select = el("select", { id: "cb-country", autocomplete: "country" },
      cfg.countries.map(function (c) {
        return el("option", { value: c.code, text: c.name + " (+" + c.dial + ")" });
      }));
    select.value = cfg.default_country;
    var phone = el("input", { id: "cb-phone", type: "tel", autocomplete: "tel",
      inputmode: "tel", maxlength: "64", "aria-describedby": "cb-phone-err cb-phone-hint" });
    var hint = el("p", { id: "cb-phone-hint", class: "small" });
    var consent = el("input", { id: "cb-consent", type: "checkbox",
      "aria-describedby": "cb-consent-err cb-notice" });
    // Outside business hours: "as soon as we open", or one of the free slots.
    var time = cfg.open ? null : el("select", { id: "cb-time", "aria-describedby": "cb-time-err" },
      [cfg.next_opening && el("option", { value: "", text: T.asap.replace("{time}", cfg.next_opening.label) })]
        .concat(cfg.slots.map(function (s) { return el("option", { value: s.start, text: s.label }); })));
    var notice = el("p", { id: "cb-notice", class: "small", text: cfg.privacy.notice + " " });
    if (cfg.privacy.policy_url) {
      notice.appendChild(el("a", { href: cfg.privacy.policy_url, target: "_blank",
        rel: "noopener", text: T.privacy_link }));
    }
    var errs = {};
    ["phone", "consent", "preferred_time", "form"].forEach(function (f) {
      errs[f] = el("p", { id: "cb-" + (f === "preferred_time" ? "time" : f) + "-err",
        class: "err", role: f === "form" ? "alert" : null });
    });
    var submit = el("button", { type: "submit", class: "submit", text: T.submit });
    var form = el("form", { novalidate: "" }, [
      el("label", { for: "cb-country", text: T.country }), select,
      el("label", { for: "cb-phone", text: T.phone_label }), phone, errs.phone, hint,
      time && el("p", { class: "small", text: T.closed }),
      time && el("label", { for: "cb-time", text: T.time }), time, time && errs.preferred_time,
      el("label", { class: "consent", for: "cb-consent" }, [consent, el("span", { text: T.consent })]),
      errs.consent, notice, errs.form, submit,
    ]);
    var status = el("p", { id: "cb-status", class: "status", role: "status",
      "aria-live": "polite", tabindex: "-1" });
    var cancel = el("button", { type: "button", class: "link", id: "cb-cancel", text: T.cancel, hidden: "" });
    var again = el("button", { type: "button", class: "link", id: "cb-again", text: T.again, hidden: "" });
    var panel = el("div", { id: "cb-panel", class: "panel", role: "dialog",
      "aria-labelledby": "cb-title", hidden: "" }, [
      close, el("h2", { id: "cb-title", text: T.title }), el("p", { text: T.intro }),
      form, status, cancel, again,
    ]);
    wrap.appendChild(panel);
    wrap.appendChild(launch);
    root.appendChild(el("style", { text: CSS }));
    root.appendChild(wrap);
    document.body.appendChild(host);

    function country() { return byCode[select.value] || cfg.countries[0]; }
    function showHint() {
      var ex = country().example;
      hint.textContent = ex ? T.phone_hint.replace("{example}", ex) : "";
    }
    showHint();

    /* Opening, closing, focus */
    function open() {
      panel.hidden = false;
      launch.setAttribute("aria-expanded", "true");
      (form.hidden ? status : phone).focus();
    }
    function shut() {
      panel.hidden = true;
      launch.setAttribute("aria-expanded", "false");
      launch.focus();
    }
    launch.addEventListener("click", function () { if (panel.hidden) open(); else shut(); });
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });

    select.addEventListener("change", function () {
      showHint();
      phone.value = display(phone.value, country());
    });
    phone.addEventListener("input", function (e) {
      var atEnd = phone.selectionStart === phone.value.length;
      if (atEnd && !/^delete/.test(e.inputType || "")) phone.value = display(phone.value, country());
    });

    /* Errors: the same codes and words as the server's 422 (cfg.messages). */
    function showErrors(found) {
      var first = null;
      [["phone", phone], ["consent", consent], ["preferred_time", time]].forEach(function (pair) {
        var text = found[pair[0]] || "";
        errs[pair[0]].textContent = text;
        if (pair[1]) pair[1].setAttribute("aria-invalid", text ? "true" : "false");
        if (text && !first) first = pair[1];
      });
      errs.form.textContent = found.form || "";
      if (first) first.focus();
    }

    /* A refusal in the widget's own language, whatever answered: us, a proxy, a CDN. */
    function refusal(httpStatus, code) {
      return M[code] || M[BY_STATUS[httpStatus]] || T.server_error;
    }

    function check() {
      var found = {}, r = parse(phone.value, country());
      if (r.error) found.phone = M[r.error];
      if (!consent.checked) found.consent = M.consent_required;
      return { errors: found, number: r };
    }

    // The page without its query, but for the campaign (utm_*): any other parameter may
    // carry personal data and never leaves the browser (the service drops it too).
    function pageAddress() {
      var kept = [];
      new URLSearchParams(location.search).forEach(function (value, name) {
        if (/^utm_(source|medium|campaign|term|content)$/.test(name)) {
          kept.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
        }
      });
      return location.origin + location.pathname + (kept.length ? "?" + kept.join("&") : "");
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var c = check();
      showErrors(c.errors);
      if (Object.keys(c.errors).length) return;
      var body = { phone: "+" + c.number.country.dial + c.number.nsn, consent: true,
        page_url: pageAddress(), locale: lang };
      if (time && time.value) body.preferred_time = time.value;
      submit.disabled = true;
      submit.textContent = T.sending;
      // ?lang= words every refusal given before the body is read (origin, rate, size).
      fetch(API + "/widgets/" + encodeURIComponent(KEY) + "/callbacks?lang=" + encodeURIComponent(lang), {
        method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (res.status === 202 && data.status_url) return started(data);
          if (res.status === 202) return alreadyAsked();
          var err = data.error || {}, shown = {};
          shown[res.status === 422 && errs[err.field] ? err.field : "form"] = refusal(res.status, err.code);
          showErrors(shown);
        });
      }, function () { showErrors({ form: T.network_error }); }).then(function () {
        submit.disabled = false;
        submit.textContent = T.submit;
      });
    });

    /* Live status */
    function when(iso) {
      var d = new Date(iso), tz = { timeZone: cfg.timezone };
      var day = function (x) { return x.toLocaleDateString(lang, tz); };
      var opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: cfg.timezone };
      if (day(d) !== day(new Date())) { opts.day = "numeric"; opts.month = "short"; }
      return new Intl.DateTimeFormat(lang, opts).format(d);
    }
    function describe(s) {
      if (s.status === "scheduled" && s.scheduled_for) return T.scheduled_at.replace("{time}", when(s.scheduled_for));
      if (s.status === "queued") return T.calling;
      if (s.status === "failed" && /^visitor_/.test(s.outcome || "")) return T.outcome_visitor;
      if (s.status === "failed" && /^no_agent/.test(s.outcome || "")) return T.outcome_no_agent;
      return T.statuses[s.status] || T.server_error;
    }
    function render(s) {
      var done = !s.status || TERMINAL.indexOf(s.status) >= 0;  // no status: not ours any more
      if (done) remember(null);
      wrap.setAttribute("data-status", s.status);
      if (status.textContent !== describe(s)) status.textContent = describe(s);
      cancel.hidden = done;
      again.hidden = !done;
      if (!done) state.timer = setTimeout(poll, POLL_MS);
    }
    function poll() {
      fetch(state.url, { credentials: "omit", cache: "no-store" })
        .then(function (res) { return res.json(); })
        .then(render, function () { state.timer = setTimeout(poll, POLL_MS * 2); });
    }
    function started(data) {
      state.url = data.status_url;
      remember(state.url);
      form.hidden = true;
      render(data);
      status.focus();
    }
    /* The number already has a pending request: said, but not whose or when. */
    function alreadyAsked() {
      form.hidden = true;
      status.textContent = M.already_requested;
      again.hidden = false;
      status.focus();
    }
    /* This tab's own request survives a page load; it is forgotten once it has ended. */
    function remember(url) {
      try {
        if (url) sessionStorage.setItem(STORED, url);
        else sessionStorage.removeItem(STORED);
      } catch (e) { /* storage off (private mode): the status lasts as long as the page */ }
    }
    function recalled() {
      try { return sessionStorage.getItem(STORED); } catch (e) { return null; }
    }
    var STORED = "callback:" + KEY;
    if (recalled()) {
      state.url = recalled();
      form.hidden = true;
      poll();
    }
    cancel.addEventListener("click", function () {
      clearTimeout(state.timer);
      fetch(state.url, { method: "DELETE", credentials: "omit" })
        .then(function (res) { return res.json(); })
        .then(render, function () { status.textContent = T.network_error; })
        .then(function () { status.focus(); }); // the cancel button is gone: keep focus in the dialog
    });
    again.addEventListener("click", function () {
      clearTimeout(state.timer);
      status.textContent = "";
      wrap.removeAttribute("data-status");
      again.hidden = true;
      form.hidden = false;
      phone.value = "";
      consent.checked = false;
      phone.focus();
    });
  }

  function start() {
    var url = API + "/widgets/" + encodeURIComponent(KEY) + "/config?lang=" + encodeURIComponent(language());
    fetch(url, { credentials: "omit" })
      .then(function (res) { if (!res.ok) throw new Error("callback widget: " + res.status); return res.json(); })
      .then(Widget)
      .catch(function (err) { if (window.console) console.warn(err); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
