// galley's pages: live run states and logs over WebSocket, and actions sent
// to the REST API as same-origin JSON requests. Written for the pages in
// this package; no framework.
"use strict";

// follow opens a WebSocket to path() and hands each message to onMessage;
// it reconnects with backoff until onMessage returns "end".
function follow(path, onMessage, status) {
  let delay = 500;
  let ended = false;
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + path());
    ws.onopen = () => { delay = 500; if (status) status.textContent = "live"; };
    ws.onmessage = (ev) => {
      if (onMessage(JSON.parse(ev.data)) === "end") { ended = true; ws.close(); }
    };
    ws.onclose = () => {
      if (ended) { if (status) status.textContent = ""; return; }
      if (status) status.textContent = "reconnecting…";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
}

function notice(text) {
  const n = document.getElementById("notice");
  if (!n) return;
  n.textContent = text;
  setTimeout(() => { if (n.textContent === text) n.textContent = ""; }, 6000);
}

// api sends a JSON request to the REST API and returns the decoded answer,
// throwing the API's error message.
async function api(method, path, body) {
  const res = await fetch(path, {
    method: method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: body === undefined ? undefined : body,
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) throw new Error((data && data.message) || res.status + " " + res.statusText);
  return data;
}

function runsList() {
  const body = document.getElementById("runs-body");
  if (!body) return;
  const live = body.dataset.live;
  follow(() => live, (m) => {
    if (m.type !== "rows") return;
    body.innerHTML = m.html;
    const has = body.children.length > 0;
    document.getElementById("runs-table").hidden = !has;
    document.getElementById("runs-empty").hidden = has;
    document.getElementById("runs-total").textContent = String(m.total || 0);
  }, document.getElementById("live-status"));
}

function runPage() {
  const log = document.getElementById("log");
  if (!log) return;
  let after = Number(log.dataset.after || "0");
  let wasFinal = log.dataset.final === "true";
  follow(() => "/ui/live/runs/" + log.dataset.run + "?after=" + after, (m) => {
    if (m.type === "log") {
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      for (const l of m.lines) {
        if (l.seq <= after) continue;
        const span = document.createElement("span");
        span.dataset.seq = String(l.seq);
        span.textContent = l.text + "\n";
        log.appendChild(span);
        after = l.seq;
      }
      document.getElementById("log-empty").hidden = true;
      if (atBottom) log.scrollTop = log.scrollHeight;
    } else if (m.type === "run") {
      const r = m.run;
      const st = document.getElementById("run-state");
      st.textContent = r.state;
      st.className = "state state-" + r.state;
      document.getElementById("run-attempt").textContent = String(r.attempt);
      const err = document.getElementById("run-error");
      err.textContent = r.error || "";
      err.hidden = !r.error;
      const final = r.state === "succeeded" || r.state === "failed" || r.state === "cancelled";
      document.getElementById("cancel").hidden = final;
      if (final && !wasFinal) document.getElementById("run-finished").hidden = false;
      wasFinal = final;
    } else if (m.type === "parts") {
      const parts = document.getElementById("parts");
      if (!parts) return;
      document.getElementById("parts-body").innerHTML = m.html;
      document.getElementById("parts-total").textContent = String(m.total || 0);
      parts.hidden = !m.total;
    } else if (m.type === "end") {
      return "end";
    }
  }, document.getElementById("live-status"));
}

function actions() {
  for (const b of document.querySelectorAll("button[data-api]")) {
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const out = await api(b.dataset.method || "POST", b.dataset.api, b.dataset.body);
        if (b.dataset.after === "reload") {
          location.reload();
          return;
        }
        if (out && out.id && out.kind && b.id !== "cancel") {
          location.href = "/ui/runs/" + out.id;
          return;
        }
        notice("Done.");
        if (b.id === "cancel") notice("Cancel requested.");
      } catch (e) {
        notice(e.message);
      } finally {
        b.disabled = false;
      }
    });
  }
  const form = document.getElementById("alias-form");
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const alias = form.elements.alias.value.trim();
      const version = Number(form.elements.version.value);
      try {
        await api("PUT", "/api/models/" + encodeURIComponent(form.dataset.model) + "/aliases/" + encodeURIComponent(alias),
          JSON.stringify({ version: version }));
        location.reload();
      } catch (e) {
        notice(e.message);
      }
    });
  }
  const cmp = document.getElementById("compare-form");
  if (cmp) {
    cmp.addEventListener("submit", (ev) => {
      const n = cmp.querySelectorAll("input[name=v]:checked").length;
      if (n < 2 || n > 5) { ev.preventDefault(); notice("Tick 2 to 5 versions to compare."); }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => { runsList(); runPage(); actions(); });
