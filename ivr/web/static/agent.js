// The agent's page follows /agent/events (Server-Sent Events); no page reload.
// The hand-off panel arrives as HTML the server escaped (Jinja autoescape); when the call
// ends the last one stays on screen, marked ended, until the next ring replaces it.
(function () {
  "use strict";
  const box = document.getElementById("agent-call");
  const status = document.getElementById("agent-status");
  function draw(state) {
    if (state.ring) {
      box.innerHTML = state.html;
      document.body.dataset.ringCall = state.ring.call_id;
      document.body.dataset.ringState = state.ring.state;
    } else {
      const last = document.getElementById("handoff");
      if (last) { last.classList.add("ended"); last.dataset.state = "ended"; }
      document.body.dataset.ringState = "none";
    }
  }
  const source = new EventSource("/agent/events");
  source.onmessage = function (event) { draw(JSON.parse(event.data)); };
  source.onerror = function () { status.textContent = "reconnecting…"; };
  source.onopen = function () { status.textContent = "live"; };
}());
