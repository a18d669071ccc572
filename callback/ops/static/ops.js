// The ops page: polls the JSON figures and draws them. No libraries, no third parties.
(function () {
  "use strict";
  var script = document.currentScript;
  var dataUrl = script.dataset.dataUrl;
  var jobsUrl = script.dataset.jobsUrl;
  var actionHeader = script.dataset.actionHeader;
  var SVG = "http://www.w3.org/2000/svg";

  function $(id) { return document.getElementById(id); }
  function secs(v) { return v === null || v === undefined ? "–" : Math.round(v) + "s"; }

  function cells(row, values) {
    values.forEach(function (v) {
      var td = document.createElement("td");
      if (v instanceof Node) { td.appendChild(v); } else { td.textContent = v === null ? "–" : String(v); }
      if (typeof v === "number") { td.className = "n"; }
      row.appendChild(td);
    });
    return row;
  }

  function fill(id, rows) {
    var body = $(id);
    body.replaceChildren.apply(body, rows.map(function (values) {
      return cells(document.createElement("tr"), values);
    }));
  }

  function plot(id, values) {
    var svg = $(id), w = 720, h = 140, pad = 16;
    var known = values.filter(function (v) { return v !== null; });
    var max = Math.max.apply(null, known.concat([1]));
    var step = values.length > 1 ? (w - 2 * pad) / (values.length - 1) : 0;
    var points = [], dots = [];
    values.forEach(function (v, i) {
      if (v === null) { return; }
      var x = pad + i * step, y = h - pad - (v / max) * (h - 2 * pad);
      points.push(x.toFixed(1) + "," + y.toFixed(1));
      if (values.length <= 60) { dots.push([x, y]); }
    });
    var line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", points.join(" "));
    var label = document.createElementNS(SVG, "text");
    label.setAttribute("x", pad); label.setAttribute("y", 12); label.setAttribute("font-size", 11);
    label.textContent = "max " + Math.round(max);
    var children = [line, label].concat(dots.map(function (d) {
      var c = document.createElementNS(SVG, "circle");
      c.setAttribute("cx", d[0]); c.setAttribute("cy", d[1]); c.setAttribute("r", 2.5);
      return c;
    }));
    svg.replaceChildren.apply(svg, children);
  }

  function button(jobId, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = action;
    b.addEventListener("click", function () {
      var headers = { "X-Requested-With": actionHeader };
      fetch(jobsUrl + encodeURIComponent(jobId) + "/" + action,
            { method: "POST", credentials: "same-origin", headers: headers }).then(refresh);
    });
    return b;
  }

  function render(r) {
    var calls = r.queues[0] || {};
    $("verdict").textContent = r.healthy ? "Healthy" : "Unhealthy";
    $("verdict").className = r.healthy ? "ok" : "bad";
    $("problems").replaceChildren.apply($("problems"), r.problems.map(function (p) {
      var li = document.createElement("li"); li.textContent = p; return li;
    }));
    $("depth").textContent = calls.depth === undefined ? "–" : calls.depth;
    $("oldest").textContent = secs(calls.oldest_age_seconds);
    $("workers").textContent = calls.workers === undefined ? "–" : calls.workers;
    $("scheduler").textContent = calls.scheduler_alive ? "alive" : "missing";
    $("cron").textContent = r.cron_alive ? "alive" : "missing";
    $("ring").textContent = secs(r.time_to_ring.p50_seconds) + " / " + secs(r.time_to_ring.p95_seconds);
    $("bridge").textContent = secs(r.time_to_bridge.p50_seconds) + " / " + secs(r.time_to_bridge.p95_seconds);
    fill("queues", r.queues.map(function (q) {
      var g = q.registries;
      return [q.name, q.depth, q.oldest_age_seconds === null ? null : Math.round(q.oldest_age_seconds),
              g.started, g.failed, g.scheduled, g.deferred,
              q.scheduled_overdue_seconds === null ? null : Math.round(q.scheduled_overdue_seconds)];
    }));
    var line = r.phone_line;
    $("line-callers").textContent = line.callers_on_line;
    $("line-callbacks").textContent = line.callbacks_waiting;
    fill("line-widgets", line.widgets.map(function (w) {
      return [w.name, w.key, w.callers_on_line, w.callbacks_waiting];
    }));
    fill("worker-rows", r.workers.map(function (w) {
      return [w.name, w.state, Math.round(w.heartbeat_age_seconds), w.current_job];
    }));
    var h = r.last_hour;
    $("last-hour").textContent = h.submitted + " submitted, " + h.ended + " ended";
    fill("outcomes", Object.keys(h.by_outcome).map(function (k) { return [k, h.by_outcome[k]]; }));
    fill("failed-jobs", r.failed_jobs.map(function (j) {
      var actions = document.createElement("span");
      actions.append(button(j.id, "retry"), " ", button(j.id, "discard"));
      return [j.id, j.function, j.request_id, j.ended_at, j.reason, actions];
    }));
    fill("failed-requests", r.failed_requests.map(function (q) {
      return [q.id, q.country, q.status, q.outcome, q.ended_at];
    }));
    plot("rpm", r.series.requests_per_minute);
    plot("ttr", r.series.time_to_ring_p50);
    $("updated").textContent = "Last update " + new Date().toLocaleTimeString() + ".";
  }

  function refresh() {
    return fetch(dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (!resp.ok) { throw new Error("HTTP " + resp.status); }
        return resp.json();
      })
      .then(render)
      .catch(function (err) {
        $("verdict").textContent = "Cannot load figures (" + err.message + ")";
        $("verdict").className = "bad";
      });
  }

  refresh();
  setInterval(refresh, 5000);
})();
