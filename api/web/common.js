// Shared by the web pages: sign-in with the API's accounts, authenticated fetches, safe DOM building.
// The bearer token is kept in sessionStorage (this tab only, gone when it closes) and sent in the
// Authorization header: no cookie, so no cross-site request can act with it (docs/web.md).
"use strict";

const Motcua = (() => {
  const KEY = "motcua.token";
  const token = () => sessionStorage.getItem(KEY);

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined) continue;
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  async function request(path, options = {}) {
    const headers = Object.assign({}, options.headers || {});
    if (token()) headers.Authorization = `Bearer ${token()}`;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options = Object.assign({}, options, { body: JSON.stringify(options.json) });
    }
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (e) { /* not JSON */ }
      if (response.status === 401) sessionStorage.removeItem(KEY);
      throw new ApiError(response.status, problem);
    }
    return response;
  }

  async function api(path, options) {
    const response = await request(path, options);
    return response.status === 204 ? null : response.json();
  }

  function signIn(root, onReady) {
    root.replaceChildren();
    const message = el("p", { class: "error", role: "alert" });
    const user = el("input", { name: "username", autocomplete: "username", required: "" });
    const pass = el("input", { name: "password", type: "password", autocomplete: "current-password", required: "" });
    const form = el("form", { class: "card login", id: "login" },
      el("h2", {}, "Đăng nhập"),
      el("label", {}, "Tên đăng nhập", user),
      el("label", {}, "Mật khẩu", pass),
      el("button", { type: "submit" }, "Đăng nhập"), message);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.textContent = "";
      try {
        const t = await api("/api/auth/login", { method: "POST", json: { username: user.value, password: pass.value } });
        sessionStorage.setItem(KEY, t.access_token);
        if (t.must_change_password) return changePassword(root, pass.value, onReady);
        onReady();
      } catch (err) { message.textContent = err.message; }
    });
    root.append(form);
    user.focus();
  }

  function changePassword(root, current, onReady) {
    root.replaceChildren();
    const message = el("p", { class: "error", role: "alert" });
    const pass = el("input", { name: "new_password", type: "password", autocomplete: "new-password", required: "" });
    const form = el("form", { class: "card login", id: "change-password" },
      el("h2", {}, "Đổi mật khẩu lần đầu (R-8.2)"),
      el("label", {}, "Mật khẩu mới", pass),
      el("button", { type: "submit" }, "Đổi mật khẩu"), message);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const t = await api("/api/auth/password", { method: "POST",
          json: { current_password: current, new_password: pass.value } });
        sessionStorage.setItem(KEY, t.access_token);
        onReady();
      } catch (err) { message.textContent = err.message; }
    });
    root.append(form);
  }

  // Runs `load` when signed in, else shows the sign-in form first; a 401 later signs in again.
  function start(root, load) {
    const run = async () => {
      try { await load(); } catch (err) {
        if (err instanceof ApiError && err.status === 401) return signIn(root, run);
        root.replaceChildren(el("p", { class: "error", role: "alert" }, err.message));
      }
    };
    const logout = document.getElementById("logout");
    if (logout) logout.addEventListener("click", async () => {
      try { await request("/api/auth/logout", { method: "POST" }); } catch (e) { /* already gone */ }
      sessionStorage.removeItem(KEY);
      signIn(root, run);
    });
    if (token()) run(); else signIn(root, run);
  }

  async function download(path, filename) {
    const blob = await (await request(path)).blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: filename });
    document.body.append(a);
    a.click();
    a.remove();
  }

  const fmt = {
    time(iso) {
      if (!iso) return "";
      return iso.replace("T", " ").slice(0, 16);
    },
    number(v, digits = 1) { return v === null || v === undefined ? "—" : Number(v).toFixed(digits); },
  };

  return { el, api, request, start, download, fmt, ApiError };
})();
