// SharkAuth dashboard: plain JavaScript, no framework, no build step.
//
// Rules kept throughout (the dashboard shows attacker-controlled data, such
// as agent names registered through dynamic client registration):
// - every value reaches the page through textContent or a property (el()),
//   never through an HTML-parsing sink (dashboard_test.go scans for them);
// - the admin key lives in sessionStorage only; it is sent in the
//   Authorization header to this origin's admin API and never put in a URL,
//   a cookie or the console (a one-time sign-in link carries its own
//   secret in the fragment, traded once for a short-lived key: redeemLink);
// - no inline script or style (the server's CSP forbids them).
"use strict";

(() => {
  const KEY = "shark.adminKey";
  const TENANT = "shark.tenant";
  const $ = (id) => document.getElementById(id);

  // ---------- DOM helpers ----------

  // el builds an element: attrs are set as attributes or listeners, never
  // parsed as markup; children are nodes or strings (as text nodes).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = String(v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    append(node, children);
    return node;
  }
  function append(node, children) {
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }
  // fill replaces a node's children (null and false children are left out).
  const fill = (node, ...children) => append(clear(node), children);
  const code = (v) => el("code", { text: v ?? "" });
  const when = (v) => {
    if (!v) return "–";
    const d = new Date(v);
    return isNaN(d) ? String(v) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  };
  const badge = (on, yes, no) => el("span", { class: "badge " + (on ? "on" : "off"), text: on ? yes : no });
  let uid = 0;
  const nextID = (p) => p + "-" + (++uid);

  function field(label, input) {
    const id = input.id || (input.id = nextID("f"));
    return el("div", {}, el("label", { for: id, text: label }), input);
  }
  function table(headers, rows, opts) {
    const head = el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h, class: h.narrowHide ? "hide-narrow" : undefined })));
    const body = el("tbody", {});
    if (rows.length === 0) {
      body.appendChild(el("tr", {}, el("td", { colspan: headers.length, class: "muted", text: (opts && opts.empty) || "Nothing yet." })));
    }
    for (const r of rows) {
      // Each cell carries its column's name: at phone width rows are
      // stacked cards and the name is shown before the value (CSS).
      [...r.children].forEach((td, i) => { if (headers[i]) td.dataset.label = headers[i]; });
      body.appendChild(r);
    }
    return el("div", { class: "table-wrap" }, el("table", {}, el("caption", { class: "sr-only", text: (opts && opts.caption) || "" }), el("thead", {}, head), body));
  }
  function fields(pairs) {
    const dl = el("dl", { class: "fields" });
    for (const [k, v] of pairs) dl.append(el("dt", { text: k }), el("dd", {}, v instanceof Node ? v : String(v ?? "–")));
    return dl;
  }

  // status shows the one message banner; it stays until the next action
  // (a click on a button, a form sent) or page.
  function status(text, bad) {
    const s = $("status");
    s.textContent = text;
    s.className = "status" + (bad ? " bad" : "");
    s.hidden = false;

  }

  // A secret shown once, with a copy button.
  function secretBox(label, value) {
    const c = el("code", { class: "mono", text: value });
    const btn = el("button", { type: "button", text: "Copy" });
    btn.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(value);
        btn.textContent = "Copied";
      } catch (_) {
        const r = document.createRange();
        r.selectNodeContents(c);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        btn.textContent = "Selected: press Ctrl+C";
      }
    });
    return el("div", {},
      el("div", { class: "secret", role: "group", "aria-label": label }, el("strong", { text: label + ":" }), c, btn),
      el("p", { class: "muted", text: "Shown once: store it now. SharkAuth keeps only its hash." }));
  }

  // ---------- dialogs (no alert/confirm/prompt) ----------

  function openDialog(title, build) {
    const d = $("dialog");
    $("dialog-title").textContent = title;
    const body = clear($("dialog-body"));
    const close = () => d.close();
    build(body, close);
    if (!d.open) d.showModal();
    const focus = body.querySelector("input, select, textarea, button");
    if (focus) focus.focus();
    return close;
  }
  function confirmDialog(title, text, action) {
    return new Promise((resolve) => {
      let answered = false;
      const d = $("dialog");
      // A close event queued by the dialog's previous use may arrive after
      // this one opened it: only a close that left the dialog shut answers.
      const onClose = () => { if (!d.open) done(false); };
      const done = (v) => {
        if (answered) return;
        answered = true;
        d.removeEventListener("close", onClose);
        d.close();
        resolve(v);
      };
      openDialog(title, (body) => {
        body.append(el("p", {}, text),
          el("div", { class: "actions" },
            el("button", { type: "button", class: "danger", text: action, onclick: () => done(true) }),
            el("button", { type: "button", text: "Cancel", onclick: () => done(false) })));
      });
      d.addEventListener("close", onClose);
    });
  }

  // ---------- API ----------

  const session = {
    get key() { return sessionStorage.getItem(KEY) || ""; },
    get tenant() { return sessionStorage.getItem(TENANT) || ""; },
  };
  const base = () => (session.tenant ? "/t/" + encodeURIComponent(session.tenant) : "");
  const issuer = () => location.origin + base();

  class APIError extends Error {
    constructor(status, code, message) {
      super(message || code || "HTTP " + status);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body, key, untenanted) {
    const headers = { Authorization: "Bearer " + (key || session.key), Accept: "application/json" };
    const init = { method, headers, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch((untenanted ? "" : base()) + path, init);
    const text = await resp.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (_) { data = text; }
    }
    if (!resp.ok) {
      const e = new APIError(resp.status, data && data.error, data && data.message);
      if (resp.status === 401 && !key) {
        signOut("Your admin key was refused (" + e.message + "). Sign in again.");
      }
      throw e;
    }
    return data;
  }
  // download posts body to path and saves the answer as a file (the
  // audit export): a blob URL, revoked once the browser has it.
  async function download(path, body, filename) {
    const resp = await fetch(base() + path, {
      method: "POST", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
      headers: { Authorization: "Bearer " + session.key, "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    if (!resp.ok) {
      let data = null;
      try { data = await resp.json(); } catch (_) { /* not JSON */ }
      throw new APIError(resp.status, data && data.error, data && data.message);
    }
    const url = URL.createObjectURL(await resp.blob());
    const a = el("a", { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  const q = (params) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, v);
    const s = u.toString();
    return s ? "?" + s : "";
  };
  function failed(e) {
    status((e && e.message) || "Request failed", true);
  }

  // ---------- sign in / out ----------

  // signOut forgets the key; message says why (an error, unless the
  // operator signed out).
  function signOut(message, asked) {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(TENANT);
    stopTail();
    showSignIn(message, asked);
  }
  function showSignIn(message, asked) {
    $("nav").hidden = true;
    $("status").hidden = true;
    if ($("dialog").open) $("dialog").close();
    clear($("page"));
    $("tenant-label").textContent = "";
    $("signin").hidden = false;
    const err = $("signin-error");
    const note = $("signin-note");
    err.hidden = !message || asked;
    err.textContent = asked ? "" : message || "";
    note.hidden = !message || !asked;
    note.textContent = asked ? message : "";
    $("signin-key").value = "";
    $("signin-key").focus();
  }
  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const key = $("signin-key").value.trim();
    const tenant = $("signin-tenant").value.trim();
    const err = $("signin-error");
    err.hidden = true;
    $("signin-note").hidden = true;
    if (!key.startsWith("sk_live_")) {
      err.textContent = "An admin key starts with sk_live_.";
      err.hidden = false;
      return;
    }
    if (tenant && !/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/.test(tenant)) {
      err.textContent = "A tenant id is 3-40 lower-case letters, digits and dashes.";
      err.hidden = false;
      return;
    }
    sessionStorage.setItem(TENANT, tenant);
    try {
      const apps = await api("GET", "/api/v1/admin/apps" + q({ limit: 1 }), undefined, key);
      sessionStorage.setItem(KEY, key);
      $("signin-key").value = "";
      location.hash = apps.data && apps.data.length ? "#/overview" : "#/welcome";
      route();
    } catch (e) {
      sessionStorage.removeItem(TENANT);
      err.textContent = "Sign-in failed: " + e.message + (e.status === 401 && !tenant
        ? ". If this key belongs to a path tenant (its URLs start with /t/<tenant>), type that tenant's id in Tenant." : "");
      err.hidden = false;
    }
  });
  $("signout").addEventListener("click", () => signOut("Signed out.", true));

  // The menu button (phone width) shows and hides the navigation; choosing
  // a page closes it.
  function setMenu(open) {
    $("menu").setAttribute("aria-expanded", String(open));
    $("nav").classList.toggle("open", open);
  }
  $("menu").addEventListener("click", () => setMenu($("menu").getAttribute("aria-expanded") !== "true"));

  // One message at a time: the next action (a button, a form) clears it.
  document.addEventListener("click", (ev) => {
    if (ev.target instanceof Element && ev.target.closest("button:not(#menu)")) $("status").hidden = true;
  }, true);
  document.addEventListener("submit", () => { $("status").hidden = true; }, true);

  // ---------- router ----------

  const pages = {
    welcome: welcomePage, apps: appsPage, app: appPage, agents: agentsPage, agent: agentPage, users: usersPage, user: userPage,
    audit: auditPage, keys: keysPage, "api-keys": apiKeysPage, settings: settingsPage, overview: overviewPage, "may-act": mayActPage,
  };
  // A list page's detail: #/agents/ID is the agent page, and so on.
  const details = { agents: "agent", apps: "app", users: "user" };

  function route() {
    stopTail();
    setMenu(false);
    if ($("dialog").open) $("dialog").close(); // a dialog belongs to the page it was opened on
    if (!session.key) {
      showSignIn();
      return;
    }
    $("signin").hidden = true;
    $("nav").hidden = false;
    $("tenant-label").textContent = session.tenant ? "tenant " + session.tenant : "";
    const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    let name = parts[0] || "overview";
    const list = name;
    if (details[name] && parts[1]) name = details[name];
    if (!pages[name]) name = "overview";
    for (const a of document.querySelectorAll("nav a")) {
      const cur = a.dataset.page === name || (details[list] === name && a.dataset.page === list);
      if (cur) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    // A fresh container per render: a slower, older render writes into a
    // detached node instead of mixing with this one.
    const page = el("div", { dataset: { page: name } });
    $("page").replaceChildren(page);
    Promise.resolve(pages[name](page, parts.slice(1))).catch((e) => {
      if (e instanceof APIError && e.status === 401) return; // signed out already
      page.append(el("p", { class: "error", role: "alert", text: "Could not load this page: " + ((e && e.message) || e) }));
    });
  }
  // A message belongs to the page it was shown on; navigate carries one
  // to the page it opens (e.g. "User deleted." on the users list).
  let carried = null;
  function navigate(hash, message) {
    carried = message;
    location.hash = hash;
  }
  window.addEventListener("hashchange", () => {
    $("status").hidden = true;
    if (location.hash.startsWith("#signin=")) { // a sign-in link opened in this tab
      redeemLink();
      return;
    }
    if (carried) status(carried);
    carried = null;
    route();
  });

  // ---------- pages ----------

  async function listUsers() {
    const r = await api("GET", "/api/v1/users" + q({ limit: 200 }));
    return r.data || [];
  }
  // userPicker is a select of the tenant's users (by email), first the
  // choice of none.
  function userPicker(users, none) {
    return el("select", {}, el("option", { value: "", text: none }), users.map((u) => el("option", { value: u.id, text: u.email + (u.name ? " (" + u.name + ")" : "") })));
  }

  async function listApps() {
    const r = await api("GET", "/api/v1/admin/apps" + q({ limit: 200 }));
    return r.data || [];
  }

  function newAppDialog(after) {
    openDialog("New Application", (body, close) => {
      const name = el("input", { type: "text", required: true, maxlength: 200, autocomplete: "off" });
      const err = el("p", { class: "error", role: "alert", hidden: true });
      const form = el("form", { novalidate: true },
        field("Name", name), el("p", { class: "muted", text: "For example my-saas-backend. Its Application ID (app_…) scopes the agents your backend creates." }),
        err,
        el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: "Create application" }), el("button", { type: "button", text: "Cancel", onclick: close })));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const app = await api("POST", "/api/v1/admin/apps", { name: name.value.trim() });
          clear(body).append(
            el("p", { class: "ok", text: "Application created." }),
            fields([["Application ID", code(app.id)], ["Name", app.name], ["Client ID", code(app.client_id)]]),
            secretBox("Client secret", app.client_secret),
            el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "Done", onclick: close })));
          if (after) after(app);
        } catch (e) {
          err.textContent = e.message;
          err.hidden = false;
        }
      });
      body.append(form);
    });
  }

  async function appsPage(page) {
    const list = el("div", {});
    page.append(el("h1", { text: "Applications" }),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "New Application", onclick: () => newAppDialog(() => render()) })),
      el("h2", { text: "Your applications" }), list);
    async function render() {
      const apps = await listApps();
      clear(list).append(table(["Name", "Application ID", "Client ID", "Created", ""], apps.map((a) => el("tr", {},
        el("td", {}, el("a", { href: "#/apps/" + encodeURIComponent(a.id), text: a.name })), el("td", {}, code(a.id)), el("td", {}, code(a.client_id)), el("td", { text: when(a.created_at) }),
        el("td", {}, el("button", {
          type: "button", class: "danger", text: "Delete", "aria-label": "Delete application " + a.name,
          onclick: async () => {
            if (!(await confirmDialog("Delete application", ["Delete ", el("strong", { text: a.name }), "? Its agents keep working."], "Delete"))) return;
            try { await api("DELETE", "/api/v1/admin/apps/" + encodeURIComponent(a.id)); status("Application deleted."); render(); } catch (e) { failed(e); }
          },
        })))), { empty: "No application yet: create one with New Application.", caption: "Applications" }));
    }
    await render();
  }

  async function newAgentDialog(apps, after) {
    let users = [];
    try { users = await listUsers(); } catch (e) { failed(e); return; }
    openDialog("New agent", (body, close) => {
      const name = el("input", { type: "text", required: true, maxlength: 200, autocomplete: "off" });
      const app = el("select", {}, el("option", { value: "", text: "(none)" }), apps.map((a) => el("option", { value: a.id, text: a.name + " — " + a.id })));
      const scopes = el("input", { type: "text", value: "mcp:read mcp:write", autocomplete: "off" });
      const user = userPicker(users, "(nobody: revoking a user's agents will not reach it)");
      const err = el("p", { class: "error", role: "alert", hidden: true });
      const form = el("form", { novalidate: true }, field("Name", name), field("Application", app), field("Scopes (space separated)", scopes),
        field("Created by user (the customer it acts for)", user), err,
        el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: "Create agent" }), el("button", { type: "button", text: "Cancel", onclick: close })));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const body2 = { name: name.value, scopes: scopes.value.split(/[\s,]+/).filter(Boolean) };
        if (app.value) body2.metadata = { app_id: app.value };
        if (user.value) body2.created_by = user.value;
        try {
          const a = await api("POST", "/api/v1/agents", body2);
          clear(body).append(
            el("p", { class: "ok", text: "Agent created." }),
            fields([["Name", a.name], ["Agent ID", code(a.id)], ["Client ID", code(a.client_id)], ["Scopes", (a.scopes || []).join(" ")]]),
            secretBox("Client secret", a.client_secret),
            el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "Done", onclick: close })));
          if (after) after(a);
        } catch (e) {
          err.textContent = e.message;
          err.hidden = false;
        }
      });
      body.append(form);
    });
  }

  async function agentsPage(page) {
    const apps = await listApps();
    const appName = Object.fromEntries(apps.map((a) => [a.id, a.name]));
    const search = el("input", { type: "search", autocomplete: "off", placeholder: "name contains…" });
    const appSel = el("select", {}, el("option", { value: "", text: "All applications" }), apps.map((a) => el("option", { value: a.id, text: a.name })));
    const active = el("select", {}, el("option", { value: "", text: "Active and revoked" }), el("option", { value: "true", text: "Active" }), el("option", { value: "false", text: "Revoked" }));
    const users = await listUsers();
    const email = Object.fromEntries(users.map((u) => [u.id, u.email]));
    const createdBy = userPicker(users, "Anyone");
    const list = el("div", {});
    const pager = el("div", { class: "pager" });
    const limit = 50;
    let offset = 0;
    const filters = el("form", { class: "toolbar", role: "search" }, field("Search", search), field("Application", appSel), field("State", active),
      field("Created by", createdBy), el("div", {}, el("button", { type: "submit", text: "Apply" })));
    filters.addEventListener("submit", (ev) => { ev.preventDefault(); offset = 0; render(); });
    for (const s of [appSel, active, createdBy]) s.addEventListener("change", () => { offset = 0; render(); });
    page.append(el("h1", { text: "Agents" }),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "New agent", onclick: () => newAgentDialog(apps, () => render()) }),
        el("button", { type: "button", class: "danger", text: "Revoke by pattern", onclick: () => revokeByPattern(() => render()).catch(failed) })),
      filters, list, pager);
    async function render() {
      const r = await api("GET", "/api/v1/agents" + q({ search: search.value.trim(), app_id: appSel.value, active: active.value, created_by_user_id: createdBy.value, limit, offset }));
      const rows = (r.data || []).map((a) => {
        const link = el("a", { href: "#/agents/" + encodeURIComponent(a.id), text: a.name });
        const app = (a.metadata && a.metadata.app_id) || "";
        return el("tr", {}, el("td", {}, link), el("td", {}, code(a.client_id)), el("td", {}, badge(a.active, "active", "revoked")),
          el("td", { text: (a.scopes || []).join(" ") || "–" }), el("td", { text: appName[app] || app || "–" }),
          el("td", {}, a.created_by ? el("a", { href: "#/users/" + encodeURIComponent(a.created_by), text: email[a.created_by] || a.created_by }) : "–"),
          el("td", { class: "hide-narrow", text: when(a.created_at) }));
      });
      clear(list).append(table(["Name", "Client ID", "State", "Scopes", "Application", "Created by", "Created"], rows, { empty: "No agents match.", caption: "Agents" }));
      const total = r.total || 0;
      fill(pager, el("span", { class: "muted", text: total ? `${offset + 1}–${offset + rows.length} of ${total}` : "" }),
        offset > 0 ? el("button", { type: "button", text: "Previous", onclick: () => { offset = Math.max(0, offset - limit); render(); } }) : null,
        offset + rows.length < total ? el("button", { type: "button", text: "Next", onclick: () => { offset += limit; render(); } }) : null);
    }
    await render();
  }

  async function agentPage(page, args) {
    const id = args[0];
    const a = await api("GET", "/api/v1/agents/" + encodeURIComponent(id));
    const path = "/api/v1/agents/" + encodeURIComponent(a.id);
    const appID = (a.metadata && a.metadata.app_id) || "";
    const [tokens, app] = await Promise.all([
      api("GET", path + "/tokens"),
      appID ? api("GET", "/api/v1/admin/apps/" + encodeURIComponent(appID)).catch(() => null) : null,
    ]);
    const result = el("div", { "aria-live": "polite" });
    const reload = () => route();
    const act = (label, cls, fn) => el("button", { type: "button", class: cls, text: label, disabled: !a.active, onclick: fn });
    const spaced = (xs) => (xs || []).join(" ") || "–";
    const edit = () => {
      const name = input(a.name, { required: true, maxlength: 200 });
      const scopes = input((a.scopes || []).join(" "));
      const auds = textarea((a.audiences || []).join("\n"));
      const uris = textarea((a.redirect_uris || []).join("\n"));
      formDialog("Edit agent", null, [["Name", name], ["Scopes (space separated)", scopes],
        ["Audiences it may ask for (one URI per line; empty: any the tenant allows)", auds], ["Redirect URIs (one per line)", uris]], "Save", async () => {
        await api("PATCH", path, { name: name.value.trim(), scopes: lines(scopes.value), audiences: lines(auds.value), redirect_uris: lines(uris.value) });
        status("Agent saved.");
        route();
      });
    };
    const revokeToken = (t) => {
      const reason = input("", { maxlength: 500, placeholder: "e.g. leaked in a log" });
      formDialog("Revoke token", ["Token ", code(t.jti), " becomes inactive at once; the agent and its other tokens keep working."],
        [["Reason (recorded in the audit log)", reason]], "Revoke token", async () => {
          await api("POST", path + "/tokens/" + encodeURIComponent(t.jti) + "/revoke", { reason: reason.value.trim() || undefined });
          status("Token revoked.");
          route();
        }, true);
    };
    const tokensPanel = el("div", { role: "tabpanel", id: nextID("panel") },
      table(["JTI", "Scope", "Key (jkt)", "Issued", "Expires", "State", ""], (tokens.data || []).map((t) => el("tr", {},
        el("td", {}, code(t.jti)), el("td", { text: t.scope || "–" }), el("td", { class: "hide-narrow" }, code(t.jkt || "–")),
        el("td", { text: when(t.created_at) }), el("td", { text: when(t.expires_at) }),
        el("td", {}, tokenState(t)),
        el("td", {}, t.active ? el("button", { type: "button", class: "danger", text: "Revoke", "aria-label": "Revoke token " + t.jti, onclick: () => revokeToken(t) }) : null))),
      { empty: "No token issued yet.", caption: "Tokens" }));
    const auditPanel = el("div", { role: "tabpanel", id: nextID("panel"), hidden: true });
    let auditLoaded = false;
    async function loadAudit() {
      if (auditLoaded) return;
      auditLoaded = true;
      const names = await keyNames();
      const r = await api("GET", path + "/audit" + q({ limit: 50 }));
      fill(auditPanel, table(["Time", "Event", "Actor", "Status"], (r.data || []).map((e) => el("tr", {},
        el("td", { text: when(e.created_at) }), el("td", { text: e.event || e.action }), el("td", {}, actorLabel(e, names)),
        el("td", {}, el("span", { class: "badge " + (e.status === "failure" ? "off" : "neutral"), text: e.status || "–" })))),
      { empty: "No event involves this agent.", caption: "Audit events of the agent" }),
      el("p", {}, el("a", { href: "#/audit", text: "All events in the audit log" })));
    }
    const tabs = el("div", { class: "tabs", role: "tablist", "aria-label": "Agent details" });
    const tab = (label, panel, onShow) => {
      const b = el("button", { type: "button", role: "tab", "aria-controls": panel.id, text: label });
      b.addEventListener("click", async () => {
        for (const x of tabs.children) x.setAttribute("aria-selected", String(x === b));
        tokensPanel.hidden = panel !== tokensPanel;
        auditPanel.hidden = panel !== auditPanel;
        if (onShow) {
          try { await onShow(); } catch (e) { failed(e); }
        }
      });
      return b;
    };
    tabs.append(tab("Tokens", tokensPanel), tab("Audit", auditPanel, loadAudit));
    tabs.firstChild.setAttribute("aria-selected", "true");
    for (const x of tabs.children) if (x !== tabs.firstChild) x.setAttribute("aria-selected", "false");
    page.append(
      el("p", {}, el("a", { href: "#/agents", text: "← Agents" })),
      el("h1", {}, "Agent ", el("span", { class: "agent-name", text: a.name }), " ", badge(a.active, "active", "revoked")),
      el("div", { class: "card" }, fields([
        ["Agent ID", code(a.id)], ["Client ID", code(a.client_id)], ["Description", a.description || "–"], ["Scopes", spaced(a.scopes)],
        ["Audiences", list(a.audiences)], ["Redirect URIs", list(a.redirect_uris)],
        ["Grant types", (a.grant_types || []).join(", ")],
        ["Application", app ? el("a", { href: "#/apps/" + encodeURIComponent(app.id), text: app.name }) : appID || "–"],
        ["Created by", a.created_by ? el("a", { href: "#/users/" + encodeURIComponent(a.created_by) }, code(a.created_by)) : "–"],
        ["DPoP key (jkt)", a.dpop_jkt ? code(a.dpop_jkt) : "none registered"], ["Token lifetime", a.token_lifetime ? a.token_lifetime + " s" : "default"],
        ["Created", when(a.created_at)], ["Updated", when(a.updated_at)],
      ])),
      el("div", { class: "actions" },
        act("Edit", "", edit),
        act("Rotate secret", "", async () => {
          if (!(await confirmDialog("Rotate secret", "The current secret stops working at once.", "Rotate"))) return;
          try {
            const r = await api("POST", path + "/rotate-secret", {});
            clear(result).append(el("h2", { text: "New secret" }), secretBox("Client secret", r.client_secret));
          } catch (e) { failed(e); }
        }),
        act("Rotate DPoP key", "", () => rotateDPoP(a)),
        act("Revoke all tokens", "", () => {
          const reason = input("", { maxlength: 500 });
          formDialog("Revoke tokens", "Every token issued to this agent so far becomes inactive. The agent stays active.",
            [["Reason (recorded in the audit log)", reason]], "Revoke tokens", async () => {
              const r = await api("POST", path + "/tokens/revoke-all", { reason: reason.value.trim() || undefined });
              status(`Revoked ${r.revoked_count} token(s); audit event ${r.audit_event_id}.`);
              reload();
            }, true);
        }),
        act("Revoke agent", "danger", () => {
          const reason = input("", { maxlength: 500 });
          formDialog("Revoke agent", ["Deactivate ", el("strong", { text: a.name }), " and revoke all its tokens?"],
            [["Reason (recorded in the audit log)", reason]], "Revoke agent", async () => {
              await api("DELETE", path, { reason: reason.value.trim() || undefined });
              status("Agent revoked: it is inactive and its tokens introspect inactive.");
              reload();
            }, true);
        })),
      result,
      tabs, tokensPanel, auditPanel);
  }

  // keyNames maps admin key ids to their names (audit actors), read once
  // per page; an empty map when the list cannot be read.
  async function keyNames() {
    try {
      const r = await api("GET", "/api/v1/api-keys");
      return Object.fromEntries((r.data || []).map((k) => [k.id, k.name]));
    } catch (_) {
      return {};
    }
  }
  // actorLabel shows an event's actor: an admin key by its name (id in
  // the title), anything else by its id.
  function actorLabel(e, names) {
    if (!e.actor_id) return "–";
    if (e.actor_type === "admin_key" && Object.hasOwn(names, e.actor_id)) {
      return el("span", { title: e.actor_id }, "admin key ", el("strong", { text: names[e.actor_id] }));
    }
    return el("span", {}, e.actor_type ? e.actor_type + " " : "", code(e.actor_id));
  }

  // tokenState is the server's five-layer decision for a listed token
  // (active, revoked_reason), never a guess from revoked_at alone.
  function tokenState(t) {
    if (t.active) return el("span", { class: "badge on", text: "active" });
    if (!t.revoked_reason) return el("span", { class: "badge neutral", text: "expired" });
    const label = Object.hasOwn(TOKEN_REVOKED, t.revoked_reason) ? TOKEN_REVOKED[t.revoked_reason] : "revoked (" + t.revoked_reason + ")";
    return el("span", { class: "badge off", text: label });
  }
  const TOKEN_REVOKED = {
    revoked: "revoked",
    client_inactive: "inactive (agent revoked)",
    client_revoked: "revoked (all tokens revoked)",
    dpop_key_rotated: "revoked (DPoP key rotated)",
    user_revoked: "revoked (user's agents revoked)",
    pattern_revoked: "revoked (client_id pattern)",
    tenant_disabled: "revoked (tenant disabled)",
    signing_key_revoked: "revoked (signing key revoked)",
  };

  function rotateDPoP(a) {
    openDialog("Rotate DPoP key", (body, close) => {
      const jwk = el("textarea", { spellcheck: "false", placeholder: '{"kty":"EC","crv":"P-256","x":"…","y":"…"}' });
      const reason = el("input", { type: "text", autocomplete: "off" });
      const err = el("p", { class: "error", role: "alert", hidden: true });
      const form = el("form", { novalidate: true },
        el("p", { text: "Tokens bound to the old key (or all tokens, when none was registered) are revoked; new tokens must use the new key." }),
        el("p", { class: "note" }, el("strong", { text: "This pins the agent to one key. " }),
          "After the rotation every token request of this agent must be signed with this key: a fresh keypair per agent instance (as the guides suggest) is then refused. Share this one keypair between the agent's instances, or do not register a key."),
        field("New public key (JWK)", jwk), field("Reason", reason), err,
        el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: "Rotate key" }), el("button", { type: "button", text: "Cancel", onclick: close })));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        let key;
        try { key = JSON.parse(jwk.value); } catch (_) { err.textContent = "The key is not JSON."; err.hidden = false; return; }
        try {
          const r = await api("POST", "/api/v1/agents/" + encodeURIComponent(a.id) + "/rotate-dpop-key", { new_public_jwk: key, reason: reason.value || undefined });
          close();
          status(`DPoP key rotated: new jkt ${r.new_jkt}; ${r.revoked_token_count} token(s) revoked; audit event ${r.audit_event_id}.`);
          route(); // the detail shows the new key
        } catch (e) { err.textContent = e.message; err.hidden = false; }
      });
      body.append(form);
    });
  }

  async function usersPage(page) {
    const email = el("input", { type: "email", required: true, autocomplete: "off" });
    const name = el("input", { type: "text", autocomplete: "off" });
    const err = el("p", { class: "error", role: "alert", hidden: true });
    const form = el("form", { class: "card", novalidate: true }, el("h2", { text: "New user" }), field("Email", email), field("Name", name), err,
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: "Create user" })));
    const result = el("div", { "aria-live": "polite" });
    const list = el("div", {});
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      try {
        const u = await api("POST", "/api/v1/admin/users", { email: email.value.trim(), name: name.value.trim() || undefined });
        status("User " + u.id + " created.");
        email.value = name.value = "";
        render();
      } catch (e) { err.textContent = e.message; err.hidden = false; }
    });
    page.append(el("h1", { text: "Users" }), el("p", { class: "muted", text: "Users are your customers. Revoking a user's agents deactivates every agent they created and makes all their tokens inactive at once." }), form, result, list);
    async function render() {
      const r = await api("GET", "/api/v1/users" + q({ limit: 200 }));
      clear(list).append(table(["Email", "Name", "User ID", "Created", ""], (r.data || []).map((u) => el("tr", {},
        el("td", {}, el("a", { href: "#/users/" + encodeURIComponent(u.id), text: u.email })), el("td", { text: u.name || "–" }), el("td", {}, code(u.id)), el("td", { class: "hide-narrow", text: when(u.created_at) }),
        el("td", {}, el("button", {
          type: "button", class: "danger", text: "Revoke agents", "aria-label": "Revoke all agents of " + u.email,
          onclick: () => revokeUserAgents(u, render),
        })))), { empty: "No users yet.", caption: "Users" }));
    }
    await render();
  }

  // ---------- audit log ----------

  let tailTimer = null;
  function stopTail() {
    if (tailTimer) clearInterval(tailTimer);
    tailTimer = null;
  }

  async function auditPage(page) {
    const event = el("input", { type: "text", placeholder: "agent.created,oauth.token_issued", autocomplete: "off" });
    const actor = el("input", { type: "text", autocomplete: "off" });
    const target = el("input", { type: "text", autocomplete: "off" });
    const since = el("input", { type: "datetime-local", step: 1 });
    const until = el("input", { type: "datetime-local", step: 1 });
    const live = el("input", { type: "checkbox", id: nextID("live") });
    const list = el("div", {});
    const pager = el("div", { class: "pager" });
    const detail = el("div", { "aria-live": "polite" });
    const form = el("form", { class: "toolbar", role: "search" }, field("Event", event), field("Actor", actor), field("Target", target),
      field("Since", since), field("Until", until), el("div", {}, el("button", { type: "submit", text: "Apply" })));
    const iso = (v) => (v ? new Date(v).toISOString() : "");
    let cursors = [""]; // cursor of each page shown so far
    let events = [];
    form.addEventListener("submit", (ev) => { ev.preventDefault(); cursors = [""]; render(); });
    live.addEventListener("change", () => {
      stopTail();
      if (live.checked) {
        cursors = [""];
        render();
        tailTimer = setInterval(poll, 2000);
      }
    });
    const names = await keyNames();
    const exportAs = (format) => async () => {
      const body = { format };
      for (const [k, v] of Object.entries(filters())) if (v) body[k] = v;
      try {
        await download("/api/v1/audit-logs/export", body, "audit-" + new Date().toISOString().slice(0, 19).replace(/:/g, "") + "." + (format === "csv" ? "csv" : "ndjson"));
        status("Export downloaded (" + format.toUpperCase() + ", the events that match the filters).");
      } catch (e) { failed(e); }
    };
    page.append(el("h1", { text: "Audit log" }), form,
      el("div", { class: "actions" }, el("label", { class: "check", for: live.id }, live, "Live tail (new events appear at the top)"),
        el("button", { type: "button", text: "Export NDJSON", onclick: exportAs("ndjson") }),
        el("button", { type: "button", text: "Export CSV", onclick: exportAs("csv") })),
      list, pager, detail);
    const filters = () => ({ event: event.value.trim(), actor_id: actor.value.trim(), target_id: target.value.trim(), since: iso(since.value), until: iso(until.value) });

    function show(e) {
      clear(detail).append(el("div", { class: "card" }, el("h2", { text: "Event " + e.id }),
        fields([["Event", e.event || e.action], ["Time", when(e.created_at)], ["Status", e.status], ["Actor", actorLabel(e, names)],
          ["Target", [e.target_type, e.target_id].filter(Boolean).join(" ")], ["IP", e.ip || "–"], ["User agent", e.user_agent || "–"]]),
        el("h2", { text: "Metadata" }), el("pre", { text: JSON.stringify(e.metadata || {}, null, 2) })));
      detail.scrollIntoView({ block: "nearest" });
    }
    function draw() {
      clear(list).append(table(["Time", "Event", "Actor", "Target", "Status"], events.map((e) => {
        const open = el("button", { type: "button", class: "link", text: e.event || e.action, onclick: () => show(e), "aria-label": "Details of " + (e.event || e.action) + " " + e.id });
        return el("tr", { dataset: { id: e.id } }, el("td", { text: when(e.created_at) }), el("td", {}, open), el("td", {}, actorLabel(e, names)),
          el("td", {}, code(e.target_id || "–")), el("td", {}, el("span", { class: "badge " + (e.status === "failure" ? "off" : "neutral"), text: e.status || "–" })));
      }), { empty: "No events match.", caption: "Audit events" }));
    }
    async function render() {
      const r = await api("GET", "/api/v1/audit-logs" + q({ ...filters(), limit: 50, cursor: cursors[cursors.length - 1] }));
      events = r.data || [];
      draw();
      const n = cursors.length;
      fill(pager, el("span", { class: "muted", text: "Page " + n }),
        n > 1 ? el("button", { type: "button", text: "Newer", onclick: () => { cursors.pop(); render(); } }) : null,
        r.has_more && r.next_cursor ? el("button", { type: "button", text: "Older", onclick: () => { cursors.push(r.next_cursor); render(); } }) : null);
    }
    async function poll() {
      if (cursors.length > 1) return; // only the first page follows
      try {
        const r = await api("GET", "/api/v1/audit-logs" + q({ ...filters(), limit: 50 }));
        const seen = new Set(events.map((e) => e.id));
        const fresh = (r.data || []).filter((e) => !seen.has(e.id));
        if (fresh.length) {
          events = fresh.concat(events).slice(0, 200);
          draw();
        }
      } catch (e) { stopTail(); live.checked = false; failed(e); }
    }
    await render();
  }

  // ---------- signing keys ----------

  async function keysPage(page) {
    const list = el("div", {});
    let keys = [];
    const rotate = (mode) => async () => {
      const pending = keys.find((k) => k.state === "next");
      let text = mode === "emergency"
        ? "Emergency: the new key is current at once, the old key leaves the JWKS at once and its tokens introspect inactive."
        : "Scheduled: the new key is published as next and becomes current once resource servers' JWKS caches have it.";
      let action = mode === "emergency" ? "Rotate now" : "Rotate";
      if (pending && mode === "scheduled") {
        text = ["Key ", code(pending.kid), " is already pending (next; it becomes current after ", when(pending.current_after),
          "). A second scheduled rotation replaces it: the pending key is dropped before it becomes current and the new one waits the full JWKS cache lifetime again."];
        action = "Replace pending key";
      }
      if (!(await confirmDialog("Rotate signing key", text, action))) return;
      try {
        const r = await api("POST", "/api/v1/admin/signing-keys/rotate", { mode });
        status("New key " + r.kid + " (" + r.state + ").");
        render();
      } catch (e) { failed(e); }
    };
    page.append(el("h1", { text: "Signing keys" }),
      el("p", { class: "muted" }, "Resource servers verify tokens with the public keys at ", el("a", { href: issuer() + "/.well-known/jwks.json", text: issuer() + "/.well-known/jwks.json" }), "."),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "Rotate (scheduled)", onclick: rotate("scheduled") }),
        el("button", { type: "button", class: "danger", text: "Emergency rotation", onclick: rotate("emergency") })),
      list);
    async function render() {
      const r = await api("GET", "/api/v1/admin/signing-keys");
      keys = r.data || [];
      const tone = { current: "on", next: "neutral", retired: "neutral" };
      // Every key is listed, retired ones too: a retired key stays in the
      // JWKS until publish_until (tokens it signed still verify).
      const inJWKS = (k) => !k.published ? "no" : k.state === "retired" && k.publish_until ? "until " + when(k.publish_until)
        : k.state === "next" && k.current_after ? "yes (current after " + when(k.current_after) + ")" : "yes";
      clear(list).append(table(["Key id", "State", "Algorithm", "In the JWKS", "Created", "Activated", "Retired"], keys.map((k) => el("tr", {},
        el("td", {}, code(k.kid)), el("td", {}, el("span", { class: "badge " + (tone[k.state] || "off"), text: k.state })), el("td", { text: k.alg }),
        el("td", { text: inJWKS(k) }), el("td", { class: "hide-narrow", text: when(k.created_at) }),
        el("td", { class: "hide-narrow", text: when(k.activated_at) }), el("td", { text: when(k.retired_at) }))), { caption: "Signing keys" }));
    }
    await render();
  }

  // ---------- shared form helpers ----------

  const lines = (v) => v.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

  // formDialog asks for some fields; submit runs fn with them and closes the
  // dialog unless fn throws (its message is shown in the dialog) or returns
  // false (fn then filled the dialog itself, e.g. with a secret shown once).
  function formDialog(title, intro, controls, submit, fn, danger) {
    openDialog(title, (body, close) => {
      const err = el("p", { class: "error", role: "alert", hidden: true });
      const form = el("form", { novalidate: true }, intro ? el("p", {}, intro) : null,
        controls.map(([label, input]) => field(label, input)), err,
        el("div", { class: "actions" }, el("button", { type: "submit", class: danger ? "danger" : "primary", text: submit }),
          el("button", { type: "button", text: "Cancel", onclick: close })));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        try {
          if ((await fn(body, close)) !== false) close();
        } catch (e) {
          err.textContent = e.message;
          err.hidden = false;
        }
      });
      body.append(form);
    });
  }
  const input = (value, attrs) => el("input", { type: "text", autocomplete: "off", spellcheck: "false", value: value ?? "", ...(attrs || {}) });
  const textarea = (value, attrs) => { const t = el("textarea", { spellcheck: "false", ...(attrs || {}) }); t.value = value ?? ""; return t; };
  // shownOnce fills a dialog with a secret and a Done button.
  function shownOnce(body, close, ok, pairs, label, secret, after) {
    clear(body).append(el("p", { class: "ok", text: ok }), fields(pairs), secretBox(label, secret),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "Done", onclick: () => { close(); if (after) after(); } })));
  }
  const list = (xs) => (xs && xs.length ? el("ul", { class: "plain" }, xs.map((x) => el("li", {}, code(x)))) : "–");

  // ---------- application detail ----------

  async function appPage(page, args) {
    const a = await api("GET", "/api/v1/admin/apps/" + encodeURIComponent(args[0]));
    const agents = await api("GET", "/api/v1/agents" + q({ app_id: a.id, limit: 200 }));
    const result = el("div", { "aria-live": "polite" });
    const path = "/api/v1/admin/apps/" + encodeURIComponent(a.id);
    page.append(
      el("p", {}, el("a", { href: "#/apps", text: "← Applications" })),
      el("h1", {}, "Application ", el("span", { text: a.name })),
      el("div", { class: "card" }, fields([
        ["Application ID", code(a.id)], ["Client ID", code(a.client_id)], ["Description", a.description || "–"],
        ["Redirect URIs", list(a.redirect_uris)], ["Scopes", (a.scopes || []).join(" ") || "–"],
        ["Created", when(a.created_at)], ["Updated", when(a.updated_at)],
      ])),
      el("div", { class: "actions" },
        el("button", { type: "button", text: "Rename", onclick: () => {
          const name = input(a.name, { required: true, maxlength: 200 });
          formDialog("Rename application", null, [["Name", name]], "Save", async () => {
            await api("PATCH", path, { name: name.value.trim() });
            status("Application renamed.");
            route();
          });
        } }),
        el("button", { type: "button", text: "Edit redirect URIs", onclick: () => {
          const uris = textarea((a.redirect_uris || []).join("\n"));
          formDialog("Redirect URIs", "One absolute URI per line (at most 20); empty for none.", [["Redirect URIs", uris]], "Save", async () => {
            await api("PATCH", path, { redirect_uris: lines(uris.value) });
            status("Redirect URIs saved.");
            route();
          });
        } }),
        el("button", { type: "button", text: "Rotate secret", onclick: async () => {
          if (!(await confirmDialog("Rotate application secret", "The application's current client secret stops working at once.", "Rotate"))) return;
          try {
            const r = await api("POST", path + "/rotate-secret", {});
            clear(result).append(el("h2", { text: "New secret" }), secretBox("Client secret", r.client_secret));
          } catch (e) { failed(e); }
        } })),
      result,
      el("h2", { text: "Its agents" }),
      table(["Name", "Client ID", "State", "Created by"], (agents.data || []).map((g) => el("tr", {},
        el("td", {}, el("a", { href: "#/agents/" + encodeURIComponent(g.id), text: g.name })), el("td", {}, code(g.client_id)),
        el("td", {}, badge(g.active, "active", "revoked")), el("td", {}, code(g.created_by || "–")))),
      { empty: "No agent of this application yet.", caption: "Agents of the application" }));
  }

  // ---------- user detail ----------

  async function userPage(page, args) {
    const u = await api("GET", "/api/v1/users/" + encodeURIComponent(args[0]));
    const path = "/api/v1/users/" + encodeURIComponent(u.id);
    const [agents, consents] = await Promise.all([api("GET", path + "/agents" + q({ filter: "created", limit: 200 })), api("GET", path + "/consents")]);
    page.append(
      el("p", {}, el("a", { href: "#/users", text: "← Users" })),
      el("h1", {}, "User ", el("span", { text: u.email })),
      el("div", { class: "card" }, fields([
        ["User ID", code(u.id)], ["Email", u.email], ["Name", u.name || "–"], ["Email verified", u.email_verified ? "yes" : "no"],
        ["Password", u.has_password ? "set (signs in at the authorize page)" : "none (cannot sign in)"],
        ["Created", when(u.created_at)], ["Updated", when(u.updated_at)],
      ])),
      el("div", { class: "actions" },
        el("button", { type: "button", text: "Set password", onclick: () => {
          const pw = el("input", { type: "password", autocomplete: "new-password", required: true, maxlength: 1024 });
          formDialog("Set password", ["The password ", el("strong", { text: u.email }), " signs in with on the authorize page (stored as an argon2id hash; never shown again)."],
            [["New password", pw]], "Set password", async () => {
              if (!pw.value) throw new Error("Type a password.");
              await api("POST", path + "/password", { password: pw.value });
              status("Password set for " + u.email + ".");
              route();
            });
        } }),
        el("button", { type: "button", class: "danger", text: "Revoke agents", onclick: () => revokeUserAgents(u, () => route()) }),
        el("button", { type: "button", class: "danger", text: "Delete user", onclick: async () => {
          if (!(await confirmDialog("Delete user", ["Delete ", el("strong", { text: u.email }), "? Their agents are revoked, their consents and tokens stop working."], "Delete user"))) return;
          try {
            await api("DELETE", path);
            navigate("#/users", "User " + u.email + " deleted.");
          } catch (e) { failed(e); }
        } })),
      el("h2", { text: "Agents they created" }),
      table(["Name", "Client ID", "State", "Created"], (agents.data || []).map((g) => el("tr", {},
        el("td", {}, el("a", { href: "#/agents/" + encodeURIComponent(g.id), text: g.name })), el("td", {}, code(g.client_id)),
        el("td", {}, badge(g.active, "active", "revoked")), el("td", { text: when(g.created_at) }))),
      { empty: "No agent created by this user (agents are theirs when created with created_by).", caption: "Agents of the user" }),
      el("h2", { text: "Consents" }),
      table(["Client", "Redirect URI", "Scopes", "Resources", "Granted", ""], (consents.data || []).map((c) => el("tr", {},
        el("td", {}, code(c.client_id)), el("td", {}, code(c.redirect_uri || "–")), el("td", { text: (c.scopes || []).join(" ") || "–" }),
        el("td", { text: (c.resources || []).join(" ") || "–" }), el("td", { text: when(c.updated_at || c.created_at) }),
        el("td", {}, el("button", { type: "button", class: "danger", text: "Revoke consent", "aria-label": "Revoke consent for " + c.client_id, onclick: async () => {
          if (!(await confirmDialog("Revoke consent", ["Revoke the consent ", el("strong", { text: u.email }), " gave ", code(c.client_id), "? Tokens from it stop working; the client must ask again."], "Revoke consent"))) return;
          try {
            await api("DELETE", path + "/consents/" + encodeURIComponent(c.id));
            status("Consent revoked.");
            route();
          } catch (e) { failed(e); }
        } })))),
      { empty: "No consent: this user has not signed in to a client through the authorize page.", caption: "Consents of the user" }));
  }

  // revokeUserAgents asks for a reason, then deactivates every agent the
  // user created and revokes their consents.
  function revokeUserAgents(u, after) {
    const reason = input("customer cancelled", { maxlength: 500 });
    formDialog("Revoke agents", ["Deactivate every agent ", el("strong", { text: u.email }), " created, revoke their consents and all their tokens?"],
      [["Reason (recorded in the audit log)", reason]], "Revoke agents", async (body, close) => {
        const res = await api("POST", "/api/v1/users/" + encodeURIComponent(u.id) + "/revoke-agents", { reason: reason.value.trim() || undefined });
        const ids = res.revoked_agent_ids || [];
        clear(body).append(el("p", { class: "ok", text: "Agents revoked" }),
          fields([["User", u.email], ["Revoked agents", ids.length ? el("ul", {}, ids.map((i) => el("li", {}, code(i)))) : "none"],
            ["Revoked consents", String(res.revoked_consent_count ?? 0)], ["Audit event", code(res.audit_event_id || "–")]]),
          el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "Done", onclick: () => { close(); if (after) after(); } })));
        return false;
      }, true);
  }

  // ---------- admin API keys ----------

  async function apiKeysPage(page) {
    const listNode = el("div", {});
    const create = () => {
      const name = input("", { required: true, maxlength: 200 });
      const scopes = input("*");
      const expires = el("input", { type: "datetime-local", step: 1 });
      formDialog("New admin key", "Scopes: * (the admin API, and sign-in here) or introspect (introspection and the revocation feed, nothing else).",
        [["Name", name], ["Scopes (space separated)", scopes], ["Expires (optional)", expires]], "Create key", async (body, close) => {
          const k = await api("POST", "/api/v1/api-keys", { name: name.value.trim(), scopes: lines(scopes.value), expires_at: expires.value ? new Date(expires.value).toISOString() : undefined });
          shownOnce(body, close, "Admin key created.", [["Name", k.name], ["Key ID", code(k.id)], ["Scopes", k.scopes.join(" ")]], "Admin key", k.key, render);
          return false;
        });
    };
    page.append(el("h1", { text: "Admin keys" }),
      el("p", { class: "muted", text: "Keys for this tenant's admin API (your backend, the CLI, this dashboard). The key itself is shown once; SharkAuth keeps its hash." }),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "New admin key", onclick: create })), listNode);
    async function render() {
      const r = await api("GET", "/api/v1/api-keys");
      clear(listNode).append(table(["Name", "Key", "Scopes", "State", "Created", ""], (r.data || []).map((k) => {
        const kp = "/api/v1/api-keys/" + encodeURIComponent(k.id);
        return el("tr", { dataset: { id: k.id } }, el("td", { text: k.name }), el("td", {}, code(k.key_prefix + "…" + k.key_suffix)),
          el("td", { text: (k.scopes || []).join(" ") }), el("td", {}, badge(k.active, "active", k.revoked_at ? "revoked" : "expired")),
          el("td", { class: "hide-narrow", text: when(k.created_at) }),
          el("td", { class: "row-actions" }, k.active ? [
            el("button", { type: "button", text: "Rotate", "aria-label": "Rotate admin key " + k.name, onclick: async () => {
              if (!(await confirmDialog("Rotate admin key", ["Make a new key for ", el("strong", { text: k.name }), "? The old key stops working at once."], "Rotate"))) return;
              try {
                const n = await api("POST", kp + "/rotate", {});
                openDialog("Admin key rotated", (body, close) => shownOnce(body, close, "New key made; the old one is revoked.", [["Name", n.name], ["Key ID", code(n.id)]], "Admin key", n.key, render));
              } catch (e) { failed(e); }
            } }),
            el("button", { type: "button", class: "danger", text: "Revoke", "aria-label": "Revoke admin key " + k.name, onclick: async () => {
              if (!(await confirmDialog("Revoke admin key", ["Revoke ", el("strong", { text: k.name }), "? Whoever uses it is refused at once."], "Revoke key"))) return;
              try { await api("DELETE", kp); status("Admin key " + k.name + " revoked."); render(); } catch (e) { failed(e); }
            } })] : null));
      }), { empty: "No admin key.", caption: "Admin keys" }));
    }
    await render();
  }

  // ---------- tenant settings ----------

  async function settingsPage(page) {
    const t = await api("GET", "/api/v1/admin/tenant");
    const join = (xs) => (xs || []).join(" ");
    const aud = input(t.default_audience, { type: "url", placeholder: "https://mcp.example.com" });
    const scopes = input(join(t.scopes));
    const policy = el("select", {}, ["open", "initial_access_token", "software_statement", "closed"].map((p) => el("option", { value: p, text: p, selected: p === t.dcr_policy })));
    const dcrScopes = input(join(t.dcr_scopes));
    const pkey = el("input", { type: "password", autocomplete: "off", spellcheck: "false", placeholder: "sk_platform_…" });
    const err = el("p", { class: "error", role: "alert", hidden: true });
    const platform = (method, path, body) => api(method, path, body, pkey.value.trim(), true);
    const needKey = () => {
      if (!pkey.value.trim().startsWith("sk_platform_")) throw new Error("These settings belong to the platform operator: paste a platform key (sk_platform_…).");
    };
    const form = el("form", { class: "card", novalidate: true },
      el("h2", { text: "Settings" }),
      field("Default audience (aud of tokens that ask for no resource; empty: the client id)", aud),
      field("Scopes (space separated; empty: any)", scopes),
      field("Dynamic client registration policy", policy),
      field("Scopes a self-registered client may take (space separated)", dcrScopes),
      el("p", { class: "note" }, el("strong", { text: "Needs a platform key. " }),
        "An admin key can read these settings but not change them: they are the platform operator's (",
        code("shark serve"), " prints a platform key on first boot). The key is used for this request only and not kept."),
      field("Platform key", pkey), err,
      el("div", { class: "actions" }, el("button", { type: "submit", class: "primary", text: "Save settings" })));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      try {
        // Only what changed is sent: a setting the tenant never set keeps
        // following the deployment's default.
        const change = {};
        if (aud.value.trim() !== (t.default_audience || "")) change.default_audience = aud.value.trim();
        if (lines(scopes.value).join(" ") !== join(t.scopes)) change.scopes = lines(scopes.value);
        if (policy.value !== t.dcr_policy) change.dcr_policy = policy.value;
        if (lines(dcrScopes.value).join(" ") !== join(t.dcr_scopes)) change.dcr_scopes = lines(dcrScopes.value);
        if (!Object.keys(change).length) throw new Error("Nothing changed.");
        needKey();
        await platform("PATCH", "/platform/v1/tenants/" + encodeURIComponent(t.id), change);
        pkey.value = "";
        status("Settings saved.");
        route();
      } catch (e) { err.textContent = e.message; err.hidden = false; }
    });
    const toggle = el("button", { type: "button", class: t.disabled ? "primary" : "danger", text: t.disabled ? "Enable tenant" : "Disable tenant", onclick: async () => {
      err.hidden = true;
      try {
        needKey();
        if (t.disabled) {
          await platform("PATCH", "/platform/v1/tenants/" + encodeURIComponent(t.id), { disabled: false });
          pkey.value = "";
          status("Tenant enabled.");
          route();
          return;
        }
        if (!(await confirmDialog("Disable tenant", ["Disable ", el("strong", { text: t.id }), "? Every token becomes inactive and every admin key, yours too, is refused until it is enabled again (here, with the platform key, or by the platform operator)."], "Disable tenant"))) return;
        await platform("POST", "/platform/v1/tenants/" + encodeURIComponent(t.id) + "/disable", {});
        pkey.value = "";
        // The admin API no longer answers for this tenant: the page stays,
        // so that it can be enabled again at once.
        t.disabled = true;
        stateBadge.replaceChildren(badge(false, "enabled", "disabled"));
        toggle.className = "primary";
        toggle.textContent = "Enable tenant";
        status("Tenant disabled: its tokens are inactive and its admin keys, yours too, are refused. Enable it again here with the platform key.", true);
      } catch (e) { err.textContent = e.message; err.hidden = false; }
    } });
    const stateBadge = el("span", {}, badge(!t.disabled, "enabled", "disabled"));
    page.append(el("h1", { text: "Tenant settings" }),
      el("div", { class: "card" }, fields([
        ["Tenant", code(t.id)], ["Issuer", code(t.issuer)], ["State", stateBadge],
        ["Default audience", t.default_audience ? code(t.default_audience) : "none: tokens carry aud = [client_id]"],
        ["Scopes", join(t.scopes) || "any"], ["DCR policy", t.dcr_policy], ["DCR scopes", join(t.dcr_scopes) || "none"],
      ])),
      form, el("div", { class: "actions" }, toggle));
  }

  // ---------- overview ----------

  async function overviewPage(page) {
    const count = (path) => api("GET", path + q({ limit: 1 })).then((r) => r.total ?? (r.data || []).length);
    const [tenant, apps, agentsAll, agentsActive, users, keys, signing, recent, names, firstAgents, tokenEvents] = await Promise.all([
      api("GET", "/api/v1/admin/tenant"),
      count("/api/v1/admin/apps"), count("/api/v1/agents"),
      api("GET", "/api/v1/agents" + q({ active: "true", limit: 1 })).then((r) => r.total || 0),
      api("GET", "/api/v1/users" + q({ limit: 200 })).then((r) => r.data || []),
      api("GET", "/api/v1/api-keys").then((r) => r.data || []),
      api("GET", "/api/v1/admin/signing-keys").then((r) => r.data || []),
      api("GET", "/api/v1/audit-logs" + q({ limit: 10 })).then((r) => r.data || []),
      keyNames(),
      api("GET", "/api/v1/agents" + q({ active: "true", limit: 200 })).then((r) => r.data || []),
      api("GET", "/api/v1/audit-logs" + q({ event: "oauth.token_issued", limit: 1 })).then((r) => r.data || []),
    ]);
    const stat = (label, value, href) => el("a", { class: "stat", href }, el("strong", { text: String(value) }), el("span", { text: label }));
    const activeKeys = keys.filter((k) => k.active);
    const soon = Date.now() + 14 * 24 * 3600 * 1000;
    const attention = [];
    const item = (...children) => attention.push(el("li", {}, ...children));
    if (tenant.disabled) item(el("strong", { text: "The tenant is disabled: " }), "no token is issued and every token is inactive. ", el("a", { href: "#/settings", text: "Settings" }));
    if (!apps) item("No application yet: ", el("a", { href: "#/welcome", text: "Get started" }), ".");
    if (!tenant.default_audience) {
      item("No default audience: a token that names no resource carries ", code("aud = [client_id]"), ", which MCP servers refuse. ",
        el("a", { href: "#/settings", text: "Set one in Settings" }), " or pass resource= in token requests.");
    }
    const orphans = firstAgents.filter((a) => !a.created_by && a.kind !== "dcr"); // a self-registered client has no creator
    if (orphans.length) {
      item(orphans.length + " active agent(s) have no creating user: revoking a customer's agents does not reach them. ",
        el("a", { href: "#/agents", text: "Agents" }));
    }
    for (const k of signing.filter((k) => k.state === "next")) {
      item("Signing key ", code(k.kid), " is pending; it becomes current after " + when(k.current_after) + ".");
    }
    for (const k of activeKeys.filter((k) => k.expires_at && new Date(k.expires_at).getTime() < soon)) {
      item("Admin key ", el("strong", { text: k.name }), " expires " + when(k.expires_at) + ". ", el("a", { href: "#/api-keys", text: "Admin keys" }));
    }
    if (apps && !tokenEvents.length) item("No token issued yet: ", el("a", { href: "#/welcome", text: "step 4 of Get started" }), " shows how an agent gets one.");
    page.append(el("h1", { text: "Overview" }),
      el("div", { class: "stats" }, stat("applications", apps, "#/apps"), stat("agents (" + agentsActive + " active)", agentsAll, "#/agents"),
        stat(users.length >= 200 ? "users (200 or more)" : "users", users.length, "#/users"), stat("active admin keys", activeKeys.length, "#/api-keys")),
      el("h2", { text: "Needs attention" }),
      attention.length ? el("ul", { class: "attention" }, attention) : el("p", { class: "ok", text: "Nothing needs attention." }),
      el("h2", { text: "Recent events" }),
      table(["Time", "Event", "Actor", "Target"], recent.map((e) => el("tr", {},
        el("td", { text: when(e.created_at) }), el("td", { text: e.event || e.action }), el("td", {}, actorLabel(e, names)), el("td", {}, code(e.target_id || "–")))),
      { empty: "No event yet.", caption: "Recent events" }),
      el("p", {}, el("a", { href: "#/audit", text: "The whole audit log" })));
  }

  // ---------- may-act grants (delegation) ----------

  async function mayActPage(page) {
    const agents = await api("GET", "/api/v1/agents" + q({ active: "true", limit: 200 })).then((r) => r.data || []);
    const byID = Object.fromEntries(agents.flatMap((a) => [[a.id, a], [a.client_id, a]]));
    const who = (id) => (byID[id] ? el("a", { href: "#/agents/" + encodeURIComponent(byID[id].id), text: byID[id].name }) : code(id));
    const listNode = el("div", {});
    const revoked = el("input", { type: "checkbox", id: nextID("revoked") });
    revoked.addEventListener("change", () => render());
    const create = () => {
      const from = el("select", {}, agents.map((a) => el("option", { value: a.id, text: a.name + " — " + a.client_id })));
      const to = input("", { placeholder: "usr_… or shark_agent_…" });
      const scopes = input("");
      const hops = el("input", { type: "number", min: 1, max: 5, value: 1 });
      const expires = el("input", { type: "datetime-local", step: 1 });
      formDialog("New may-act grant", "The acting agent may exchange a token of the subject for one acting on its behalf (RFC 8693 token exchange).",
        [["Acting agent (from)", from], ["Subject it may act for (to: the sub of the subject token)", to], ["Scopes it may keep (space separated; empty: any)", scopes],
          ["Max hops", hops], ["Expires (optional)", expires]], "Create grant", async () => {
          const body = { from_id: from.value, to_id: to.value.trim(), max_hops: Number(hops.value) || 1, scopes: lines(scopes.value) };
          if (expires.value) body.expires_at = new Date(expires.value).toISOString();
          await api("POST", "/api/v1/admin/may-act", body);
          status("Grant created.");
          render();
        });
    };
    page.append(el("h1", { text: "Delegation (may-act grants)" }),
      el("p", { class: "muted", text: "Which agent may act for which subject through token exchange, besides a subject token's own may_act claim." }),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "New grant", disabled: !agents.length, onclick: create }),
        el("label", { class: "check", for: revoked.id }, revoked, "Show revoked grants")),
      listNode);
    async function render() {
      const r = await api("GET", "/api/v1/admin/may-act" + q({ include_revoked: revoked.checked ? "true" : "" }));
      clear(listNode).append(table(["Acting agent", "For subject", "Scopes", "Hops", "State", "Expires", ""], (r.grants || []).map((g) => el("tr", {},
        el("td", {}, who(g.from_id)), el("td", {}, who(g.to_id)), el("td", { text: (g.scopes || []).join(" ") || "any" }), el("td", { text: String(g.max_hops) }),
        el("td", {}, badge(g.active, "active", g.revoked_at ? "revoked" : "expired")), el("td", { text: when(g.expires_at) }),
        el("td", {}, g.active ? el("button", { type: "button", class: "danger", text: "Revoke", "aria-label": "Revoke grant " + g.id, onclick: async () => {
          if (!(await confirmDialog("Revoke grant", ["The acting agent can no longer exchange tokens of ", code(g.to_id), "; tokens already exchanged stay until they expire or are revoked."], "Revoke grant"))) return;
          try { await api("DELETE", "/api/v1/admin/may-act/" + encodeURIComponent(g.id)); status("Grant revoked."); render(); } catch (e) { failed(e); }
        } }) : null))), { empty: "No grant.", caption: "May-act grants" }));
    }
    await render();
  }

  // ---------- revoke by pattern ----------

  // globRE turns a client_id glob (*, ?, [...]) into a RegExp for the
  // preview; the server decides what matches.
  function globRE(glob) {
    let re = "";
    for (let i = 0; i < glob.length; i++) {
      const ch = glob[i];
      if (ch === "*") re += ".*";
      else if (ch === "?") re += ".";
      else if (ch === "[") {
        const end = glob.indexOf("]", i + 1);
        if (end < 0) return null;
        re += "[" + glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]";
        i = end;
      } else re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
    try { return new RegExp("^" + re + "$"); } catch (_) { return null; }
  }

  async function revokeByPattern(after) {
    const agents = await api("GET", "/api/v1/agents" + q({ active: "true", limit: 200 })).then((r) => r.data || []);
    const pattern = input("", { placeholder: "shark_agent_abc*", required: true, maxlength: 200 });
    const reason = input("", { maxlength: 500 });
    const preview = el("p", { class: "muted", "aria-live": "polite", text: "Type a glob of client_ids (*, ?, [...])." });
    pattern.addEventListener("input", () => {
      const re = globRE(pattern.value.trim());
      if (!pattern.value.trim() || !re) { preview.textContent = "Type a glob of client_ids (*, ?, [...])."; return; }
      const hit = agents.filter((a) => re.test(a.client_id));
      preview.textContent = hit.length + " of the " + agents.length + " active agents listed match" + (hit.length ? ": " + hit.slice(0, 5).map((a) => a.name).join(", ") + (hit.length > 5 ? ", …" : "") : "") + ".";
    });
    formDialog("Revoke by pattern", ["Every token issued so far to a client whose client_id matches becomes inactive (the clients stay active and get new tokens).", preview],
      [["client_id pattern", pattern], ["Reason (recorded in the audit log)", reason]], "Revoke tokens", async () => {
        if (!pattern.value.trim()) throw new Error("Type a pattern.");
        const r = await api("POST", "/api/v1/admin/oauth/revoke-by-pattern", { client_id_pattern: pattern.value.trim(), reason: reason.value.trim() || undefined });
        status(`Pattern ${r.pattern_matched}: ${r.matched_clients} client(s) matched, ${r.revoked_count} token(s) revoked; audit event ${r.audit_event_id}.`);
        if (after) after();
      }, true);
  }

  // ---------- resource servers (issue 24) ----------

  // A resource server (an MCP server, an API) gets a credential of its own:
  // it introspects only the tokens whose aud names one of its resources and
  // reads the revocation feed; it calls no admin route.
  pages["resource-servers"] = resourceServersPage;
  const rsPath = (id) => "/api/v1/resource-servers" + (id ? "/" + encodeURIComponent(id) : "");
  const goString = (s) => JSON.stringify(String(s)); // a Go string literal for the ASCII ids and URLs shown here

  // rsSnippet is the sdk/go setup of the offline + feed mode; the secret
  // stays out of it (it is read from the environment).
  function rsSnippet(clientID, resource) {
    return el("pre", {}, el("code", { text: `v, err := resource.New(resource.Config{Issuer: ${goString(issuer())}, Resource: ${goString(resource)},
    Feed: &resource.Feed{ClientID: ${goString(clientID)}, ClientSecret: os.Getenv("RS_CLIENT_SECRET")}})` }));
  }

  function rsModes() {
    const feed = issuer() + "/oauth/revocations";
    const mode = (name, ...text) => el("li", {}, el("strong", { text: name + ": " }), ...text);
    return el("div", { class: "card wrap-code" },
      el("h2", { text: "How a resource server sees revocation" }),
      el("ul", { class: "modes" },
        mode("Offline (JWKS only)", "no call to SharkAuth per request; a revoked token is still accepted until it expires (", code("exp"), ")."),
        mode("Offline + revocation feed", "the resource server polls ", code("GET " + feed), " with its credential (every 5 s by default); a token revoked by any layer is refused within the poll interval, with no call per request."),
        mode("Introspection (RFC 7662)", "the resource server asks ", code(issuer() + "/oauth/introspect"), " with its credential; a revoked token is refused at once (or within the answer cache, 5 s by default). Only tokens whose aud names one of its resources come back active.")));
  }

  function rsResources(rs) {
    return el("ul", { class: "plain" }, (rs.resources || []).map((r) => el("li", {}, code(r))));
  }

  function newResourceServerDialog(after) {
    const name = input("", { required: true, maxlength: 200 });
    const resources = textarea("", { rows: 3, placeholder: "https://mcp.example.com/mcp" });
    const jwksURI = input("", { type: "url", placeholder: "https://mcp.example.com/jwks.json" });
    formDialog("New resource server", "Its resources are the audiences (aud) it accepts. It gets a client secret, shown once; with a JWKS URL it authenticates with private_key_jwt instead.",
      [["Name", name], ["Resource URLs (one per line)", resources], ["JWKS URL (optional: private_key_jwt instead of a secret)", jwksURI]], "Create resource server", async (body, close) => {
        const req = { name: name.value.trim(), resources: lines(resources.value) };
        if (jwksURI.value.trim()) req.jwks_uri = jwksURI.value.trim();
        const rs = await api("POST", rsPath(), req);
        const pairs = [["Name", rs.name], ["Client ID", code(rs.client_id)], ["Resources", rsResources(rs)], ["Authentication", rs.token_endpoint_auth_method]];
        const snippet = [el("p", { text: "With sdk/go (offline + revocation feed):" }), rsSnippet(rs.client_id, (rs.resources || [])[0] || "")];
        if (rs.client_secret) {
          shownOnce(body, close, "Resource server created.", pairs, "Client secret", rs.client_secret, after);
          body.querySelector(".actions").before(...snippet);
        } else {
          clear(body).append(el("p", { class: "ok", text: "Resource server created." }), fields(pairs),
            el("p", { class: "wrap-code" }, "It authenticates with private_key_jwt: its assertions are signed with a key published at ", code(rs.jwks_uri || ""), "; there is no secret."),
            ...snippet,
            el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "Done", onclick: () => { close(); if (after) after(); } })));
        }
        return false;
      });
  }

  function editResourceServerDialog(rs, after) {
    const name = input(rs.name, { required: true, maxlength: 200 });
    const resources = textarea((rs.resources || []).join("\n"), { rows: 3 });
    formDialog("Edit resource server", "Tokens already issued keep their aud: a resource removed here stops being introspectable by this resource server at once.",
      [["Name", name], ["Resource URLs (one per line)", resources]], "Save", async () => {
        await api("PATCH", rsPath(rs.id), { name: name.value.trim(), resources: lines(resources.value) });
        status("Resource server saved.");
        if (after) after();
      });
  }

  async function rotateResourceServer(rs, after) {
    if (!(await confirmDialog("Rotate resource server secret", ["Make a new client secret for ", el("strong", { text: rs.name }), "? The current secret stops working at once."], "Rotate"))) return;
    try {
      const r = await api("POST", rsPath(rs.id) + "/rotate-secret");
      openDialog("Resource server secret rotated", (body, close) => shownOnce(body, close, "New secret made; the old one is refused.",
        [["Name", rs.name], ["Client ID", code(r.client_id)]], "Client secret", r.client_secret, after));
    } catch (e) { failed(e); }
  }

  async function deleteResourceServer(rs, after) {
    if (!(await confirmDialog("Delete resource server", ["Delete ", el("strong", { text: rs.name }), "? Its credential is refused at once (introspection and the revocation feed)."], "Delete"))) return;
    try { await api("DELETE", rsPath(rs.id)); status("Resource server " + rs.name + " deleted."); after(); } catch (e) { failed(e); }
  }

  async function resourceServersPage(page) {
    const listNode = el("div", {});
    const snippetNode = el("div", {});
    page.append(el("h1", { text: "Resource servers" }),
      el("p", { class: "muted", text: "Register each MCP server or API that accepts this tenant's tokens: it gets a least-privilege credential that introspects only tokens for its resources and reads the revocation feed, instead of an admin key." }),
      el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "New resource server", onclick: () => newResourceServerDialog(render) })),
      listNode, rsModes(), snippetNode);
    async function render() {
      const r = await api("GET", rsPath() + q({ limit: 200 }));
      const all = r.data || [];
      clear(listNode).append(table(["Name", "Client ID", "Resources", "Auth method", "State", "Created", ""], all.map((rs) => el("tr", { dataset: { id: rs.id } },
        el("td", { text: rs.name }), el("td", {}, code(rs.client_id)), el("td", {}, rsResources(rs)), el("td", { text: rs.token_endpoint_auth_method }),
        el("td", {}, badge(rs.active, "active", "disabled")), el("td", { class: "hide-narrow", text: when(rs.created_at) }),
        el("td", { class: "row-actions" },
          el("button", { type: "button", text: "Edit", "aria-label": "Edit resource server " + rs.name, onclick: () => editResourceServerDialog(rs, render) }),
          rs.token_endpoint_auth_method !== "private_key_jwt"
            ? el("button", { type: "button", text: "Rotate secret", "aria-label": "Rotate secret of resource server " + rs.name, onclick: () => rotateResourceServer(rs, render) }) : null,
          el("button", { type: "button", class: "danger", text: "Delete", "aria-label": "Delete resource server " + rs.name, onclick: () => deleteResourceServer(rs, render) })))),
      { empty: "No resource server yet: create one with New resource server.", caption: "Resource servers" }));
      const first = all[0];
      fill(snippetNode, el("h2", { text: "sdk/go: offline + revocation feed" }),
        el("p", { class: "wrap-code" }, "In your resource server, with its client secret in ", code("RS_CLIENT_SECRET"), " (", code("import \"github.com/sharkauth/serverless/sdk/go/resource\""), "):"),
        rsSnippet(first ? first.client_id : "shark_rs_...", first ? (first.resources || [])[0] || "" : "https://mcp.example.com/mcp"),
        el("p", { class: "muted wrap-code" }, "For introspection instead: ", code("Introspection: &resource.Introspection{ClientID: ..., ClientSecret: ..., DisableCache: true}"), " (at once, one call per request)."));
    }
    await render();
  }

  // ---------- first run: the customer-agents guide with real ids ----------

  async function welcomePage(page) {
    // A step is green once the audit trail shows it done.
    const happened = (event) => api("GET", "/api/v1/audit-logs" + q({ event, limit: 1 })).then((r) => (r.data || []).length > 0);
    const [apps, agents, users, tenant, tokenIssued, agentsRevoked] = await Promise.all([
      listApps(),
      api("GET", "/api/v1/agents" + q({ limit: 1 })).then((r) => r.data || []),
      api("GET", "/api/v1/users" + q({ limit: 1 })).then((r) => r.data || []),
      api("GET", "/api/v1/admin/tenant"),
      happened("oauth.token_issued"),
      happened("user.agents_revoked"),
    ]);
    const audience = tenant.default_audience || "https://mcp.example.com";
    const app = apps[0];
    const agent = agents[0];
    const user = users[0];
    const url = issuer();
    const appID = app ? app.id : "app_your_app_id";
    const step = (done, title, ...body) => el("li", { class: done ? "done" : "" }, el("h2", {}, title, done ? el("span", { class: "sr-only", text: " (done)" }) : null), ...body);
    const snippet = (text) => el("pre", {}, el("code", { text }));
    page.append(el("h1", { text: "Get started: ship agents to your customers" }),
      el("p", { class: "muted", text: "The customer-agents guide, step by step, with the ids of this tenant filled in. Steps turn green as you complete them." }),
      el("ol", { class: "steps" },
        step(true, "Start the server",
          el("p", {}, "Done: you are signed in to ", code(url), ". Your backend uses the same admin key you signed in with.")),
        step(!!app, "Create an Application",
          app ? el("p", {}, "Your application ", el("strong", { text: app.name }), " has the Application ID ", code(app.id), ".")
            : el("p", {}, "Give it a name, e.g. my-saas-backend. Its Application ID (app_…) scopes the agents your backend creates."),
          el("div", { class: "actions" }, el("button", { type: "button", class: app ? "" : "primary", text: "New Application", onclick: () => newAppDialog(() => route()) })),
          el("p", { class: "muted" }, "Or on the command line: ", code('shark app create --name "my-saas-backend"'))),
        step(!!agent, "Provision a per-customer agent at signup",
          snippet(`from shark_auth import Client

admin = Client(base_url="${url}", token="sk_live_...")  # your admin key

agent = admin.agents.register_agent(
    app_id="${appID}",
    name="agent-alice",
    scopes=["mcp:read", "mcp:write"],
    created_by="${user ? user.id : "usr_alice_id"}",  # the customer: revoke_agents finds it
)
# store agent["client_id"] and agent["client_secret"] (shown once)`),
          el("p", { class: "muted" }, "Pass ", code("created_by"), " (a user of this tenant, made on the ", el("a", { href: "#/users", text: "Users" }),
            " page or with admin.users): without it, revoking the customer's agents in step 6 revokes nothing."),
          agent ? el("p", {}, "Your first agent: ", el("a", { href: "#/agents/" + encodeURIComponent(agent.id), text: agent.name }), " (", code(agent.client_id), ").")
            : el("div", { class: "actions" }, el("button", { type: "button", class: "primary", text: "Create an agent here", onclick: () => newAgentDialog(apps, () => route()) }))),
        step(tokenIssued, "The agent gets a DPoP-bound token",
          snippet(`from shark_auth import DPoPProver, OAuthClient

prover = DPoPProver.generate()
token = OAuthClient(base_url="${url}").get_token_with_dpop(
    grant_type="client_credentials",
    dpop_prover=prover,
    client_id="${agent ? agent.client_id : "shark_agent_..."}",
    client_secret=client_secret,
    scope="mcp:read mcp:write",
    resource="${audience}",  # the token's aud: your MCP server
)`),
          tenant.default_audience
            ? el("p", { class: "muted" }, "Tokens that name no resource get this tenant's default audience ", code(tenant.default_audience), ".")
            : el("p", { class: "muted" }, "Name your resource server in ", code("resource"), ": a token that names none carries ", code("aud = [client_id]"),
              ", which your MCP server refuses. Or set a default audience on the ", el("a", { href: "#/settings", text: "Settings" }), " page."),
          el("p", { class: "muted" }, "Or: ", code(`shark token --client-id ${agent ? agent.client_id : "shark_agent_..."} --scope "mcp:read"`), " prints the decoded claims.")),
        step(false, "Resource servers verify with the JWKS",
          el("p", {}, "Any RFC 7517 validator works: ", el("a", { href: url + "/.well-known/jwks.json", text: url + "/.well-known/jwks.json" })),
          el("p", { class: "muted" }, "Offline, a resource server accepts a revoked token until it expires. To refuse a revoked token before it expires, register it on the ",
            el("a", { href: "#/resource-servers", text: "Resource servers" }), " page: its own credential reads the revocation feed or introspects.")),
        step(agentsRevoked, "Customer cancels: revoke all their agents at once",
          snippet(`admin.users.revoke_agents("${user ? user.id : "usr_alice_id"}", reason="cancelled")`),
          el("p", {}, "Or on the ", el("a", { href: "#/users", text: "Users" }), " page. Every step lands in the ", el("a", { href: "#/audit", text: "audit log" }), "."))));
  }

  // ---------- one-time sign-in links ----------

  // A sign-in link (printed by `shark serve` at first boot and by `shark
  // recover-key --link`) carries its secret in the fragment, which the
  // browser never sends to a server: #signin=<secret>[&tenant=<id>]. The
  // fragment leaves the address bar and history first; the secret is then
  // traded, once, for a short-lived admin key (sessionStorage, as a pasted
  // key). A used, expired or unknown link says so on the sign-in form.
  async function redeemLink() {
    const m = /^#signin=([A-Za-z0-9_]{1,128})(?:&tenant=([a-z0-9][a-z0-9-]{1,38}[a-z0-9]))?$/.exec(location.hash);
    if (!m) return false;
    history.replaceState(null, "", location.pathname + location.search);
    const link = m[1];
    const tenant = m[2] || "";
    try {
      const resp = await fetch((tenant ? "/t/" + encodeURIComponent(tenant) : "") + "/api/v1/admin/sign-in-links/redeem", {
        method: "POST", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
        headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify({ link }),
      });
      let data = null;
      try { data = await resp.json(); } catch (_) { /* not JSON */ }
      if (!resp.ok || !data || typeof data.admin_key !== "string") {
        throw new APIError(resp.status, data && data.error, data && data.message);
      }
      sessionStorage.setItem(TENANT, tenant);
      sessionStorage.setItem(KEY, data.admin_key);
      const apps = await api("GET", "/api/v1/admin/apps" + q({ limit: 1 }));
      history.replaceState(null, "", apps.data && apps.data.length ? "#/overview" : "#/welcome");
      route();
      status("Signed in with a one-time link. This session's key expires at " + new Date(data.expires_at).toLocaleString() + "; the link cannot be used again.");
    } catch (e) {
      sessionStorage.removeItem(KEY);
      sessionStorage.removeItem(TENANT);
      showSignIn("Sign-in link refused: " + ((e && e.message) || e));
    }
    return true;
  }

  redeemLink().then((handled) => { if (!handled) route(); });
})();
