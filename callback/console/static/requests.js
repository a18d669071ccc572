/* The requests list, kept up to date: every few seconds while the tab is visible, the
   rows are fetched again as JSON (same filters) and the table is rebuilt in place. What
   changed is said once, politely, in the live region; the table itself is not announced.
   Without this file the page works the same, with its "refresh" link. */
(function () {
  "use strict";
  var EVERY_MS = 5000;
  var table = document.getElementById("requests-table");
  var live = document.getElementById("requests-live");
  var empty = document.getElementById("requests-empty");
  if (!table || !live || !window.fetch) {
    return;
  }
  var body = table.tBodies[0];
  var url = table.getAttribute("data-live-url") + window.location.search;
  var timer = null;
  var busy = false;

  function seen() {
    var statuses = {};
    Array.prototype.forEach.call(body.rows, function (row) {
      statuses[row.getAttribute("data-id")] = row.getAttribute("data-status");
    });
    return statuses;
  }

  function cell(row, text, className) {
    var td = row.insertCell(-1);
    if (className) {
      td.className = className;
    }
    td.textContent = text;
    return td;
  }

  function render(rows) {
    var fresh = document.createElement("tbody");
    rows.forEach(function (data) {
      var row = fresh.insertRow(-1);
      row.setAttribute("data-id", data.id);
      row.setAttribute("data-status", data.status);
      var link = document.createElement("a");
      link.href = data.url;
      link.textContent = data.created;
      row.insertCell(-1).appendChild(link);
      cell(row, data.widget);
      cell(row, data.number, "number");
      cell(row, data.country);
      var badge = document.createElement("span");
      badge.className = ("badge " + data.tone).trim();
      badge.textContent = data.status_name;
      row.insertCell(-1).appendChild(badge);
      cell(row, data.scheduled_for);
      cell(row, data.outcome_name);
      cell(row, String(data.round));
    });
    table.replaceChild(fresh, body);
    body = fresh;
    if (empty) {
      empty.hidden = rows.length > 0;
    }
  }

  function announce(before, rows) {
    var added = 0;
    var changed = 0;
    rows.forEach(function (data) {
      if (!(data.id in before)) {
        added += 1;
      } else if (before[data.id] !== data.status) {
        changed += 1;
      }
    });
    if (added || changed) {
      live.textContent = live.getAttribute("data-text-changes")
        .replace("{new}", String(added))
        .replace("{changed}", String(changed));
    }
  }

  function poll() {
    if (busy || document.visibilityState !== "visible") {
      return;
    }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        var kind = answer.headers.get("Content-Type") || "";
        if (!answer.ok || kind.indexOf("application/json") === -1) {
          stop(); // signed out, or the filters were refused: the page's own links still work
          return null;
        }
        return answer.json();
      })
      .then(function (data) {
        if (data) {
          var before = seen();
          render(data.rows);
          announce(before, data.rows);
        }
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(function () { busy = false; });
  }

  function start() {
    if (timer === null) {
      timer = window.setInterval(poll, EVERY_MS);
    }
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      poll();
      start();
    } else {
      stop();
    }
  });
  if (document.visibilityState === "visible") {
    start();
  }
})();
