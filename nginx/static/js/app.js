/* vCompanion browser glue: CSRF header on every HTMX request, the session and
 * elevated-mode countdowns, theme/accent switching, Lucide icons, toasts, confirm
 * dialogs, search suggestions, row selection for operations, task toasts, relative
 * times and ApexCharts from data attributes. Everything is wired from here (the CSP
 * allows no inline script or style), and every page works without it. */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;

  function $(sel, ctx) { return (ctx || doc).querySelector(sel); }
  function $$(sel, ctx) { return Array.prototype.slice.call((ctx || doc).querySelectorAll(sel)); }

  function csrfToken() {
    var m = $('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  /* Builds an element from a tag, attributes and children (strings become text nodes),
   * so no HTML string is ever parsed here. */
  function el(tag, attrs, children) {
    var node = doc.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      if (c != null) node.appendChild(typeof c === "string" ? doc.createTextNode(c) : c);
    });
    return node;
  }

  function icons(scope) {
    if (window.lucide && window.lucide.createIcons) {
      try { window.lucide.createIcons({ root: scope || doc }); } catch (e) { /* icons are decoration */ }
    }
  }

  /* ------------------------------------------------------------ toasts */

  var TOAST_ICON = { info: "info", success: "circle-check", error: "circle-alert", warning: "triangle-alert" };

  function toast(text, kind, ms) {
    kind = TOAST_ICON[kind] ? kind : "info";
    var box = $("#toasts");
    if (!box) {
      box = el("div", { id: "toasts", class: "toasts", "aria-live": "polite" });
      doc.body.appendChild(box);
    }
    var close = el("button", { type: "button", class: "btn btn-ghost btn-icon btn-sm", "aria-label": "Dismiss" },
                   [el("i", { "data-lucide": "x" })]);
    var t = el("div", { class: "toast is-" + kind, role: kind === "error" ? "alert" : "status" },
               [el("i", { "data-lucide": TOAST_ICON[kind] }), el("div", { class: "toast-text" }, [String(text)]), close]);
    function dismiss() {
      t.classList.add("is-leaving");
      setTimeout(function () { t.remove(); }, 220);
    }
    close.addEventListener("click", dismiss);
    box.appendChild(t);
    icons(t);
    if (ms !== 0) setTimeout(dismiss, ms || (kind === "error" ? 9000 : 5000));
    return t;
  }

  /* ------------------------------------------------------------ confirm dialog */

  var dialog;
  function confirmDialog(message, okLabel, onOk) {
    if (!dialog) {
      dialog = el("dialog", { id: "confirm-dialog", "aria-labelledby": "confirm-title" }, [
        el("form", { method: "dialog" }, [
          el("div", { class: "dialog-body" }, [
            el("div", { class: "dialog-icon" }, [el("i", { "data-lucide": "triangle-alert" })]),
            el("div", {}, [el("h2", { id: "confirm-title" }, ["Please confirm"]), el("p", { class: "confirm-text" })])
          ]),
          el("div", { class: "dialog-actions" }, [
            el("button", { class: "btn", value: "cancel" }, ["Cancel"]),
            el("button", { class: "btn btn-primary confirm-ok", value: "ok" }, ["Confirm"])
          ])
        ])
      ]);
      doc.body.appendChild(dialog);
      icons(dialog);
    }
    $(".confirm-text", dialog).textContent = message;
    $(".confirm-ok", dialog).textContent = okLabel || "Confirm";
    dialog.returnValue = "";
    dialog.onclose = function () { if (dialog.returnValue === "ok") onOk(); };
    if (typeof dialog.showModal === "function") {
      dialog.showModal();
      $(".confirm-ok", dialog).focus();
    } else if (window.confirm(message)) {
      onOk();
    }
  }

  /* Plain links and form submits marked data-confirm (not driven by htmx). */
  var confirmed = null;
  doc.addEventListener("click", function (ev) {
    var t = ev.target.closest && ev.target.closest("[data-confirm]");
    if (!t || t === confirmed || t.hasAttribute("hx-get") || t.hasAttribute("hx-post") ||
        t.hasAttribute("hx-delete") || t.hasAttribute("hx-put")) return;
    ev.preventDefault();
    confirmDialog(t.getAttribute("data-confirm"), t.getAttribute("data-confirm-ok"), function () {
      if (t.form && (t.type === "submit" || t.tagName === "BUTTON")) {
        confirmed = t;
        if (t.form.requestSubmit) t.form.requestSubmit(t); else t.form.submit();
        confirmed = null;
      } else if (t.href) {
        window.location.assign(t.href);
      }
    });
  }, true);
  doc.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (!f.hasAttribute("data-confirm") || f.dataset.confirmed === "1" || f.hasAttribute("hx-post")) return;
    ev.preventDefault();
    confirmDialog(f.getAttribute("data-confirm"), f.getAttribute("data-confirm-ok"), function () {
      f.dataset.confirmed = "1";
      f.submit();
    });
  }, true);

  /* ------------------------------------------------------------ session countdown */

  var session = { el: null, timeout: 0, deadline: 0, warned: false, timer: 0, warnToast: null };

  function fmt(sec) {
    sec = Math.max(0, Math.round(sec));
    var h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function sessionTick() {
    var left = (session.deadline - Date.now()) / 1000;
    var out = $(".session-time", session.el) || session.el;
    out.textContent = fmt(left);
    session.el.classList.toggle("is-warning", left <= 60 && left > 0);
    if (left <= 60 && !session.warned) {
      session.warned = true;
      session.warnToast = toast("Your session ends in under a minute. Any action keeps it open.", "warning", 0);
      var stay = el("button", { type: "button", class: "btn btn-sm" }, ["Stay signed in"]);
      stay.addEventListener("click", keepAlive);
      $(".toast-text", session.warnToast).appendChild(el("div", {}, [stay]));
    }
    if (left <= 0) {
      session.el.classList.add("is-expired");
      clearInterval(session.timer);
      window.location.assign("/login");
    }
  }

  function sessionReset(expiresIn) {
    if (!session.el) return;
    session.deadline = Date.now() + (expiresIn != null ? expiresIn : session.timeout) * 1000;
    session.warned = false;
    session.el.classList.remove("is-warning");
    if (session.warnToast) { session.warnToast.remove(); session.warnToast = null; }
    sessionTick();
  }

  /* Any request that reaches the portal slides the session: re-request this page quietly. */
  function keepAlive() {
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) {
        if (r.ok && !r.redirected) sessionReset(); else window.location.assign("/login");
      })
      .catch(function () { toast("The portal cannot be reached.", "error"); });
  }

  function sessionInit() {
    session.el = $("#session-countdown");
    if (!session.el) return;
    session.timeout = parseInt(session.el.dataset.timeout, 10) || 0;
    var left = parseInt(session.el.dataset.expiresIn, 10);
    if (!session.timeout) return;
    sessionReset(isNaN(left) ? session.timeout : left);
    session.timer = setInterval(sessionTick, 1000);
  }

  /* ------------------------------------------------------------ elevated mode */

  /* The top bar's "Elevated · m:ss" badge (#elevated, from the layout) counts down to
   * the end of elevated mode. At zero the server locks host actions again; a page that
   * shows them reloads so its buttons ask for the password again. */
  var elevated = { el: null, deadline: 0, timer: 0 };

  function elevatedTick() {
    var left = (elevated.deadline - Date.now()) / 1000;
    $(".elevated-time", elevated.el).textContent = fmt(left);
    if (left > 0) return;
    clearInterval(elevated.timer);
    elevated.el.remove();
    if ($(".host-actions")) window.location.reload();
    else toast("Elevated mode ended: host actions are locked again.", "info");
  }

  function elevatedInit() {
    elevated.el = $("#elevated");
    if (!elevated.el) return;
    var left = parseInt(elevated.el.dataset.expiresIn, 10);
    if (isNaN(left)) return;
    elevated.deadline = Date.now() + left * 1000;
    elevatedTick();
    elevated.timer = setInterval(elevatedTick, 1000);
  }

  /* ------------------------------------------------------------ theme and accent */

  /* Forms with class pref-form post theme+accent+csrf; their submit buttons carry the choice.
   * With JS the change shows at once and the form is sent in the background. */
  function applyPrefs(theme, accent) {
    if (theme) root.setAttribute("data-theme", theme);
    if (accent) root.setAttribute("data-accent", accent);
    $$('.pref-form input[name="theme"]').forEach(function (i) { if (theme) i.value = theme; });
    $$('.pref-form input[name="accent"]').forEach(function (i) { if (accent) i.value = accent; });
    $$(".theme-toggle").forEach(function (b) { b.value = root.dataset.theme === "dark" ? "light" : "dark"; });
    $$('.pref-form button[name="theme"]:not(.theme-toggle)').forEach(function (b) { b.setAttribute("aria-pressed", String(b.value === root.dataset.theme)); });
    $$('.pref-form button[name="accent"]').forEach(function (b) { b.setAttribute("aria-pressed", String(b.value === root.dataset.accent)); });
    charts.forEach(function (c) { restyleChart(c); });
  }

  doc.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (!f.classList || !f.classList.contains("pref-form")) return;
    ev.preventDefault();
    var data = new FormData(f);
    var btn = ev.submitter;
    if (btn && btn.name) data.set(btn.name, btn.value);
    applyPrefs(data.get("theme"), data.get("accent"));
    fetch(f.action, {
      method: "POST", credentials: "same-origin", body: new URLSearchParams(data),
      headers: { "X-CSRF-Token": csrfToken(), "HX-Request": "true" }
    }).then(function (r) {
      if (r.ok || r.redirected || r.status === 303) sessionReset();
      else toast("Your preference could not be saved (" + r.status + ").", "error");
    }).catch(function () { toast("Your preference could not be saved.", "error"); });
  });

  /* ------------------------------------------------------------ relative times */

  /* <time datetime="ISO" data-relative> shows "2 min ago" and keeps it current. */
  function ago(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return null;
    var s = Math.round((Date.now() - t) / 1000);
    if (s < 0) s = 0;
    if (s < 60) return s + "s ago";
    if (s < 3600) return Math.floor(s / 60) + "m ago";
    if (s < 86400) return Math.floor(s / 3600) + "h ago";
    return Math.floor(s / 86400) + "d ago";
  }
  function relTimes(scope) {
    $$("time[data-relative]", scope).forEach(function (t) {
      var iso = t.getAttribute("datetime"), txt = ago(iso);
      if (!txt) return;
      if (!t.title) t.title = new Date(Date.parse(iso)).toLocaleString();
      t.textContent = txt;
    });
  }

  /* ------------------------------------------------------------ search suggestions */

  function searchInit() {
    var input = $("#global-search"), box = $("#search-suggest");
    if (!input || !box) return;
    function close() { box.classList.add("is-closed"); input.setAttribute("aria-expanded", "false"); }
    function open() { if (box.firstElementChild) { box.classList.remove("is-closed"); input.setAttribute("aria-expanded", "true"); } }
    function move(dir) {
      var items = $$("a", box);
      if (!items.length) return;
      var i = items.indexOf(doc.activeElement) + dir;
      if (i < 0) { input.focus(); return; }
      items[Math.min(i, items.length - 1)].focus();
    }
    input.addEventListener("focus", open);
    box.addEventListener("htmx:afterSwap", open);
    doc.addEventListener("click", function (ev) { if (!ev.target.closest(".search")) close(); });
    $(".search").addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { close(); input.focus(); }
      else if (ev.key === "ArrowDown") { ev.preventDefault(); open(); move(1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
    });
    /* "/" focuses the search box, as on most consoles. */
    doc.addEventListener("keydown", function (ev) {
      var tag = (ev.target.tagName || "").toLowerCase();
      if (ev.key === "/" && tag !== "input" && tag !== "textarea" && tag !== "select" && !ev.target.isContentEditable) {
        ev.preventDefault();
        input.focus();
        input.select();
      }
    });
  }

  /* ------------------------------------------------------------ charts */

  /* <div class="chart" data-chart='{"type":"donut","series":[...],"labels":[...]}'>:
   * type is any ApexCharts type; series/labels/categories as ApexCharts takes them;
   * "unit" is appended to values in tooltips and labels; "height" in px. */
  var charts = [];
  function cssVar(name) { return getComputedStyle(root).getPropertyValue(name).trim(); }
  /* ApexCharts parses colours itself and only knows #rrggbb well: convert "r g b". */
  function rgbVar(name) {
    return "#" + cssVar(name).split(/\s+/).map(function (n) {
      return ("0" + (parseInt(n, 10) || 0).toString(16)).slice(-2);
    }).join("");
  }
  function chartTheme() {
    return {
      mode: root.dataset.theme === "dark" ? "dark" : "light",
      text: cssVar("--muted"), grid: root.dataset.theme === "dark" ? "#252d3d" : "#e3e8ef",
      palette: [rgbVar("--accent-rgb"), rgbVar("--ok-rgb"), rgbVar("--warn-rgb"), rgbVar("--crit-rgb"),
                rgbVar("--info-rgb"), rgbVar("--idle-rgb")]
    };
  }
  function chartOptions(spec) {
    var th = chartTheme(), unit = spec.unit || "";
    var fmtVal = function (v) { return (typeof v === "number" ? Math.round(v * 10) / 10 : v) + unit; };
    var opt = {
      chart: { type: spec.type || "bar", height: spec.height || 260, background: "transparent",
               foreColor: th.text, toolbar: { show: false }, fontFamily: "inherit",
               animations: { enabled: true, speed: 350 }, stacked: !!spec.stacked },
      theme: { mode: th.mode },
      colors: spec.colors || th.palette,
      series: spec.series || [],
      grid: { borderColor: th.grid, strokeDashArray: 3 },
      dataLabels: { enabled: false },
      legend: { position: "bottom", fontSize: "12px" },
      stroke: { width: spec.type === "line" || spec.type === "area" ? 2 : 0, curve: "smooth" },
      tooltip: { theme: th.mode, y: { formatter: fmtVal } },
      plotOptions: {
        bar: { borderRadius: 4, horizontal: !!spec.horizontal, columnWidth: "55%" },
        pie: { donut: { size: "70%", labels: { show: true, total: { show: true, label: spec.totalLabel || "Total" } } } },
        radialBar: { hollow: { size: "58%" }, track: { background: th.grid },
                     dataLabels: { value: { formatter: fmtVal } } }
      }
    };
    if (spec.labels) opt.labels = spec.labels;
    if (spec.categories) opt.xaxis = { categories: spec.categories };
    if (spec.type === "bar" || spec.type === "line" || spec.type === "area") {
      opt.yaxis = { labels: { formatter: fmtVal } };
      if (spec.max != null) opt.yaxis.max = spec.max;
    }
    return opt;
  }
  function restyleChart(c) {
    var th = chartTheme();
    c.chart.updateOptions({ theme: { mode: th.mode }, colors: c.spec.colors || th.palette,
                            chart: { foreColor: th.text }, grid: { borderColor: th.grid },
                            tooltip: { theme: th.mode } }, false, false);
  }
  function chartsInit(scope) {
    charts = charts.filter(function (c) {
      if (doc.body.contains(c.el)) return true;
      c.chart.destroy();
      return false;
    });
    if (!window.ApexCharts) return;
    $$("[data-chart]", scope).forEach(function (node) {
      if (node.dataset.chartReady) return;
      var spec;
      try { spec = JSON.parse(node.getAttribute("data-chart")); } catch (e) { return; }
      node.dataset.chartReady = "1";
      var chart = new window.ApexCharts(node, chartOptions(spec));
      chart.render();
      charts.push({ el: node, chart: chart, spec: spec });
    });
  }

  /* ------------------------------------------------------------ flash messages */

  function flashInit(scope) {
    $$(".alert [data-dismiss]", scope).forEach(function (b) {
      b.addEventListener("click", function () { b.closest(".alert").remove(); });
    });
    $$(".alert.is-success[data-autohide], .alert.is-info[data-autohide]", scope).forEach(function (a) {
      setTimeout(function () { a.remove(); }, 8000);
    });
  }

  /* ------------------------------------------------------------ row selection */

  /* Tables whose rows carry checkboxes of a form (form="row-ops"): the header box
   * checks the page, the bar counts the selection and its buttons wait for one. */
  function selectionInit() {
    function update(form) {
      var n = $$('input[name="target"][form="' + form.id + '"]:checked').length;
      var count = $("[data-selected-count]", form);
      if (count) count.textContent = n ? n + (n === 1 ? " VM selected" : " VMs selected") : "No VM selected";
      form.classList.toggle("has-selection", n > 0);
      $$("[data-needs-selection]", form).forEach(function (b) { b.disabled = n === 0; });
    }
    doc.addEventListener("change", function (ev) {
      var t = ev.target, form;
      if (t.hasAttribute && t.hasAttribute("data-select-all")) {
        var boxes = $$('tbody input[type="checkbox"][form]', t.closest("table"));
        boxes.forEach(function (b) { b.checked = t.checked; });
        form = boxes.length ? doc.getElementById(boxes[0].getAttribute("form")) : null;
      } else if (t.name === "target" && t.getAttribute("form")) {
        form = doc.getElementById(t.getAttribute("form"));
      }
      if (form) update(form);
    });
    $$("form.ops-bar").forEach(update);
    /* a new page of rows starts unselected */
    doc.body.addEventListener("htmx:afterSettle", function () { $$("form.ops-bar").forEach(update); });
  }

  /* ------------------------------------------------------------ task toasts */

  /* An operation's answer names the tasks it started (data-watch-tasks="vc:task-1 ...");
   * their states are polled until each one ends, which shows as a toast. */
  function watchTasks(scope) {
    var nodes = $$("[data-watch-tasks]", scope);
    if (scope && scope.matches && scope.matches("[data-watch-tasks]")) nodes.unshift(scope);
    nodes.forEach(function (node) {
      var left = {}, tries = 0;
      node.getAttribute("data-watch-tasks").split(/\s+/).forEach(function (id) { if (id) left[id] = true; });
      node.removeAttribute("data-watch-tasks");
      function poll() {
        var pending = Object.keys(left);
        if (!pending.length || ++tries > 300) return;
        fetch("/tasks/state?" + pending.map(function (id) { return "task=" + encodeURIComponent(id); }).join("&"),
              { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (d) {
            (d.tasks || []).forEach(function (t) {
              if (!left[t.task] || t.state === "running" || t.state === "queued") return;
              delete left[t.task];
              var what = (t.name || "Task") + (t.entity ? " of " + t.entity : "");
              if (t.state === "success") toast(what + " finished.", "success");
              else if (t.state === "error") toast(what + " failed: " + (t.error || "see Tasks."), "error");
              else toast(what + ": the task can no longer be followed.", "warning");
            });
            setTimeout(poll, 2000);
          })
          .catch(function () { setTimeout(poll, 5000); });
      }
      setTimeout(poll, 1000);
    });
  }

  /* ------------------------------------------------------------ htmx */

  function onLoad(scope) {
    icons(scope);
    relTimes(scope);
    chartsInit(scope);
    flashInit(scope);
    watchTasks(scope);
  }

  function htmxInit() {
    var htmx = window.htmx;
    if (!htmx) return;
    doc.body.addEventListener("htmx:configRequest", function (ev) {
      ev.detail.headers["X-CSRF-Token"] = csrfToken();
    });
    doc.body.addEventListener("htmx:afterRequest", function (ev) {
      var x = ev.detail.xhr;
      if (ev.detail.successful) sessionReset();
      else if (x && (x.status === 401 || x.status === 419)) window.location.assign("/login");
    });
    /* A request whose session ended was redirected to the sign-in page: go there whole
     * instead of swapping a login form into a panel. */
    doc.body.addEventListener("htmx:beforeSwap", function (ev) {
      var x = ev.detail.xhr, cfg = ev.detail.requestConfig, elt = cfg && cfg.elt;
      if (x && x.responseURL && new URL(x.responseURL).pathname === "/login") {
        ev.detail.shouldSwap = false;
        window.location.assign("/login");
        return;
      }
      /* Elements marked data-swap-errors show the server's error answer (a refused
       * password, locked host actions) in their target instead of a toast. */
      if (x && x.status >= 400 && x.status !== 401 && elt && elt.closest && elt.closest("[data-swap-errors]")) {
        ev.detail.shouldSwap = true;
        ev.detail.isError = false;
      }
    });
    doc.body.addEventListener("htmx:responseError", function (ev) {
      var x = ev.detail.xhr;
      /* Suggestions fail quietly: the search page itself still answers. */
      if (ev.detail.elt && ev.detail.elt.id === "global-search") return;
      if (x && x.status !== 401) toast("The request failed (" + x.status + " " + (x.statusText || "") + ").", "error");
    });
    doc.body.addEventListener("htmx:sendError", function () {
      toast("The portal cannot be reached. Check your connection.", "error");
    });
    /* hx-confirm and data-confirm on htmx elements use our dialog instead of window.confirm. */
    doc.body.addEventListener("htmx:confirm", function (ev) {
      var t = ev.detail.elt, q = ev.detail.question || (t && t.getAttribute("data-confirm"));
      if (!q) return;
      ev.preventDefault();
      confirmDialog(q, t.getAttribute("data-confirm-ok"), function () { ev.detail.issueRequest(true); });
    });
    /* Server toasts: HX-Trigger: {"vc:toast": {"kind": "success", "text": "Saved"}} */
    doc.body.addEventListener("vc:toast", function (ev) {
      var d = ev.detail || {};
      toast(d.text || d.value || "", d.kind);
    });
    htmx.onLoad(onLoad);
  }

  /* Caps Lock hint under the password field of the login page. */
  function capsInit() {
    var pw = $("#password"), hint = $("#caps-hint");
    if (!pw || !hint) return;
    function check(ev) {
      if (ev.getModifierState) hint.classList.toggle("hidden", !ev.getModifierState("CapsLock"));
    }
    pw.addEventListener("keydown", check);
    pw.addEventListener("keyup", check);
    pw.addEventListener("blur", function () { hint.classList.add("hidden"); });
  }

  function init() {
    sessionInit();
    elevatedInit();
    capsInit();
    applyPrefs(root.dataset.theme, root.dataset.accent);
    searchInit();
    selectionInit();
    htmxInit();
    if (!window.htmx) onLoad(doc);
    setInterval(function () { relTimes(doc); }, 15000);
    window.vc = { toast: toast, confirm: confirmDialog, resetSession: sessionReset };
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
