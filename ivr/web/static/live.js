// Keeps the wallboard current from /live/events (Server-Sent Events); no page reload.
// Every value is written with textContent, so nothing from the stream is read as HTML.
(function () {
  "use strict";
  function text(el, value) { el.textContent = value === null || value === undefined ? "–" : String(value); }
  function clock(s) {
    if (s === null || s === undefined) return "–";
    const t = Math.round(s);
    return Math.floor(t / 60) + ":" + String(t % 60).padStart(2, "0");
  }
  function pct(r) { return r === null || r === undefined ? "–" : (r * 100).toFixed(1) + "%"; }
  function el(tag, cls, value) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (value !== undefined) text(e, value);
    return e;
  }
  function draw(state) {
    text(document.querySelector("#kpi-in-ivr .value"), state.in_ivr);
    text(document.querySelector("#kpi-today-calls .value"), state.today.calls);
    text(document.querySelector("#kpi-today-containment .value"), pct(state.today.containment));
    text(document.querySelector("#kpi-callbacks .value"), state.today.callbacks_pending);
    text(document.getElementById("live-instances"), state.instances.length);
    const body = document.querySelector("#live-calls tbody");
    body.replaceChildren();
    for (const [flow, nodes] of Object.entries(state.calls)) {
      for (const [node, n] of Object.entries(nodes)) {
        const row = el("tr");
        row.append(el("td", "", flow), el("td", "mono", node), el("td", "num", n));
        body.append(row);
      }
    }
    const tiles = document.querySelector("#live-queues .tiles");
    tiles.replaceChildren();
    for (const [name, q] of Object.entries(state.queues)) {
      const tile = el("div", "tile " + q.level);
      tile.dataset.queue = name;
      const wait = el("p");
      wait.append(el("b", "waiting", q.waiting), " waiting · longest ", el("b", "", clock(q.longest_s)),
                  " · est. " + clock(q.estimated_s));
      const agents = el("p");
      agents.append(String(q.logged_in) + " agents: ", el("b", "free", q.free),
                    " free · " + q.busy + " on a call · " + q.paused + " paused");
      tile.append(el("h3", "", name), wait, agents);
      tiles.append(tile);
    }
    document.body.dataset.liveUpdated = String(Date.now());
  }
  const source = new EventSource("/live/events");
  source.onmessage = function (event) { draw(JSON.parse(event.data)); };
  source.onerror = function () { text(document.getElementById("live-status"), "reconnecting…"); };
  source.onopen = function () { text(document.getElementById("live-status"), "live"); };
}());
