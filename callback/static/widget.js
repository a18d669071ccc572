/*
 * Callback widget. Embed on any page:
 *   <script src="https://HOST/widget.js" data-widget="KEY" async></script>
 * Optional: data-lang="pl" (else the page's <html lang>, else the widget's language),
 * data-poll-ms="1500" (how often the live status is fetched).
 * The page may drive it: window.Callback.open(), .close(), .on(event, handler), .off(),
 * and any element with data-callback-open opens it (docs/widget-api.md, widget.d.ts).
 * Plain JavaScript, no dependencies, no requests to anyone but HOST. Styles live in a
 * shadow root, so the host page's CSS neither leaks in nor is touched. Every text comes
 * from the server's configuration (callback/texts), in the visitor's language.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-widget]");
  var KEY = script && script.getAttribute("data-widget");
  if (!KEY || window.__callbackWidget) return;  // loaded twice: the first one stays
  window.__callbackWidget = true;
  var BASE = new URL(script.src, location.href).origin;
  var API = BASE + "/api/v1";
  var POLL_MS = +script.getAttribute("data-poll-ms") || 1500;
  var TERMINAL = ["completed", "failed", "canceled", "expired"];
  var EVENTS = ["opened", "submitted", "scheduled", "connected", "completed", "failed"];
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
    ":focus-visible{outline:3px solid #111827;outline-offset:2px;box-shadow:0 0 0 5px #fff}" +
    ".nudge{position:fixed;right:20px;bottom:76px;z-index:2147483000;max-width:min(280px,calc(100vw - 40px))}" +
    ".left .nudge{right:auto;left:20px}" +
    ".nudge.on{display:flex;gap:4px;align-items:flex-start;background:#fff;color:#1f2937;border:1px solid #9ca3af;border-radius:10px;box-shadow:0 4px 14px rgba(0,0,0,.25);padding:10px 4px 10px 14px;animation:cb-in .25s ease-out}" +
    "#cb-nudge{margin:0}" +
    ".nudge-x{background:none;border:0;font-size:20px;line-height:1;color:#374151;cursor:pointer;padding:0 8px}" +
    "@keyframes cb-in{from{opacity:0;transform:translateY(8px)}}" +
    "@media (prefers-reduced-motion:reduce){.nudge.on{animation:none}}" +
    ".sr{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

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

    /* A constructed stylesheet, where the browser has them: a host page whose
       Content-Security-Policy lacks style-src 'unsafe-inline' blocks a <style> element
       but not a sheet built through the CSSOM. Older browsers get the element. */
    function style(shadow) {
      if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" &&
          "replaceSync" in CSSStyleSheet.prototype) {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
      } else {
        shadow.appendChild(el("style", { text: CSS }));
      }
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
    // The nudge's live region is there, empty, from the start: a region that appears with
    // its words in it is not reliably announced.
    var nudgeText = el("p", { id: "cb-nudge", role: "status", "aria-live": "polite" });
    var nudgeX = el("button", { type: "button", class: "nudge-x", "aria-label": T.dismiss,
      text: "\u00d7", hidden: "" });
    var nudge = el("div", { class: "nudge" }, [nudgeText, nudgeX]);
    var said = el("p", { class: "sr", role: "status", "aria-live": "polite" });
    wrap.appendChild(panel);
    wrap.appendChild(nudge);
    wrap.appendChild(said);
    wrap.appendChild(launch);
    style(root);
    root.appendChild(wrap);
    document.body.appendChild(host);

    function country() { return byCode[select.value] || cfg.countries[0]; }
    function showHint() {
      var ex = country().example;
      hint.textContent = ex ? T.phone_hint.replace("{example}", ex) : "";
    }
    showHint();

    /* Opening, closing, focus */
    var opener = launch, byRule = false;
    function open(source, from) {
      if (!panel.hidden) return;
      shown();
      unnudge();
      panel.hidden = false;
      launch.setAttribute("aria-expanded", "true");
      opener = from || launch;
      byRule = source === "rule";
      // A rule opens the dialog beside what the visitor is doing, without taking the focus
      // from it: moving the keyboard (and a screen reader) away unasked would lose their
      // place and could send keys typed into the page's own form into ours. The dialog is
      // not modal, so nothing is trapped; the live region says it opened, Tab reaches it,
      // and Escape anywhere on the page closes it. Any other opening is the visitor's own
      // act (the launcher, an element of the page, the page's call), so focus goes in.
      if (byRule) said.textContent = T.nudge;
      else (form.hidden ? status : phone).focus();
      emit("opened", { source: source });
    }
    function shut() {
      if (panel.hidden) return;
      var inside = !!root.activeElement;
      panel.hidden = true;
      said.textContent = "";
      launch.setAttribute("aria-expanded", "false");
      // Focus goes back to whatever opened the dialog, if the focus was in it.
      if (inside) (opener.isConnected ? opener : launch).focus();
    }
    launch.addEventListener("click", function () { if (panel.hidden) open("launcher"); else shut(); });
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && byRule && !root.activeElement) shut();
    });

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
    /* Events for the page (Callback.on): each once per request, never the number. */
    var told = {};
    function tell(name, id, payload) {
      if (told[id + " " + name]) return;
      told[id + " " + name] = true;
      emit(name, payload);
    }
    function report(s) {
      var id = s.id;
      if (!id) return;
      if (s.status === "scheduled") tell("scheduled", id, { requestId: id, scheduledFor: s.scheduled_for });
      // A short call may go from ringing to completed between two polls: it did connect.
      if (s.status === "connected" || s.status === "completed") {
        tell("connected", id, { requestId: id, status: "connected" });
      }
      if (s.status === "completed") tell("completed", id, { requestId: id, status: s.status });
      if (s.status === "failed" || s.status === "expired" || s.status === "canceled") {
        tell("failed", id, { requestId: id, status: s.status, outcome: s.outcome || null });
      }
    }
    function render(s) {
      report(s);
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
      tell("submitted", data.id, { requestId: data.id, status: data.status });
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
    /* Display rules (config's display, callback/widgets/display.py): once a visit. */
    var rule = cfg.display || { action: "none" };
    var ruled = rule.action === "nudge" || rule.action === "open";
    var SHOWN = "callback:" + KEY + ":shown";
    // Only a widget with rules writes this; sessionStorage ends with the tab, no cookie.
    function shown() {
      if (ruled) try { sessionStorage.setItem(SHOWN, "1"); } catch (e) { /* once a page, then */ }
    }
    function wasShown() {
      try { return !!sessionStorage.getItem(SHOWN); } catch (e) { return false; }
    }
    function nudgeNow() {
      nudge.className = "nudge on";
      nudgeText.textContent = T.nudge;
      nudgeX.hidden = false;
    }
    function unnudge() {
      if (!nudgeText.textContent) return;
      var hadFocus = root.activeElement === nudgeX;
      nudge.className = "nudge";
      nudgeText.textContent = "";
      nudgeX.hidden = true;
      if (hadFocus) launch.focus();  // not lost to the page's top
    }
    nudgeX.addEventListener("click", unnudge);
    function onPath(patterns) {
      return !patterns.length || patterns.some(function (p) {
        var parts = p.split("*").map(function (x) { return x.replace(/[.+?^${}()|[\]\\]/g, "\\$&"); });
        return new RegExp("^" + parts.join(".*") + "$").test(location.pathname);
      });
    }
    function watchRules() {
      if (!ruled || wasShown() || state.url || !onPath(rule.paths || [])) return;
      var stops = [];
      function fire() {
        stops.forEach(function (stop) { stop(); });
        if (!panel.hidden || wasShown()) return;  // the visitor got there first
        if (rule.action === "open") open("rule");
        else { shown(); nudgeNow(); }
      }
      function listen(target, name, handler) {
        target.addEventListener(name, handler, { passive: true });
        stops.push(function () { target.removeEventListener(name, handler, { passive: true }); });
      }
      if (rule.after_seconds !== null && rule.after_seconds !== undefined) {
        var timer = setTimeout(fire, rule.after_seconds * 1000);
        stops.push(function () { clearTimeout(timer); });
      }
      // Exit intent: the pointer leaves the page through its top (to the tabs, the address
      // bar). Only a mouse or trackpad does that; on touch it would never mean leaving.
      if (rule.exit_intent && window.matchMedia && matchMedia("(pointer: fine)").matches) {
        listen(document, "mouseout", function (e) { if (!e.relatedTarget && e.clientY <= 0) fire(); });
      }
      // Scroll depth: the share of the page's scrollable height scrolled past.
      if (rule.scroll_percent) {
        listen(window, "scroll", function () {
          var room = document.documentElement.scrollHeight - window.innerHeight;
          if (room > 0 && Math.ceil(window.scrollY / room * 100) >= rule.scroll_percent) fire();
        });
      }
    }
    watchRules();

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
    return { open: open, close: shut };
  }

  /* The page's API: window.Callback. Calls made before the configuration has loaded are
     kept (open/close) or take effect at once (on/off); a stub's queue ({q: [[name, args]]})
     is played back. A window.Callback that is not ours, nor a stub, is left alone. */
  var handlers = {}, ui = null, pending = null;
  EVENTS.forEach(function (name) { handlers[name] = []; });

  function emit(name, payload) {
    handlers[name].slice().forEach(function (handler) {
      // The page's code must not break the widget: its errors are reported, not thrown.
      try { handler(payload); } catch (err) { if (window.console) console.error(err); }
    });
  }
  function off(name, handler) {
    var list = handlers[name] || [], at = list.indexOf(handler);
    if (at >= 0) list.splice(at, 1);
  }
  var api = {
    open: function () { if (ui) ui.open("api"); else pending = "open"; },
    close: function () { if (ui) ui.close(); else pending = "close"; },
    on: function (name, handler) {
      if (!handlers[name]) throw new Error("Callback.on: no event " + name + "; one of " + EVENTS.join(", "));
      if (typeof handler !== "function") throw new TypeError("Callback.on: handler must be a function");
      handlers[name].push(handler);
      return function () { off(name, handler); };
    },
    off: off,
  };
  var stub = window.Callback;
  if (stub && !Array.isArray(stub.q)) {
    if (window.console) console.warn("callback widget: window.Callback is taken; its API is not installed");
  } else {
    window.Callback = api;
    (stub ? stub.q : []).forEach(function (call) {
      if (typeof api[call[0]] === "function") {
        try { api[call[0]].apply(api, [].slice.call(call[1] || [])); }
        catch (err) { if (window.console) console.error(err); }
      }
    });
  }

  // Any element with data-callback-open opens the widget, also one added later.
  document.addEventListener("click", function (e) {
    var opener = e.target && e.target.closest && e.target.closest("[data-callback-open]");
    if (!opener) return;
    e.preventDefault();
    if (ui) ui.open("element", opener); else pending = "open";
  });

  function start() {
    var url = API + "/widgets/" + encodeURIComponent(KEY) + "/config?lang=" + encodeURIComponent(language());
    fetch(url, { credentials: "omit" })
      .then(function (res) { if (!res.ok) throw new Error("callback widget: " + res.status); return res.json(); })
      .then(function (cfg) {
        ui = Widget(cfg);
        if (pending === "open") ui.open("api");
        pending = null;
      })
      .catch(function (err) { if (window.console) console.warn(err); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
