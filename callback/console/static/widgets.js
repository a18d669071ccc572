/*
 * Widget pages of the console: a copy button for the snippet, and a preview that follows
 * the form (colour, corner, language, reworded texts) before anything is saved.
 * The page works without this file: the button stays hidden, the preview shows what the
 * server drew. The preview only draws; it holds no form and sends nothing anywhere.
 */
(function () {
  "use strict";

  function copyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById("snippet-status");
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(
          function () { if (status) status.textContent = button.getAttribute("data-copied"); },
          function () { if (status) status.textContent = button.getAttribute("data-copy-failed"); }
        );
      });
    });
  }

  // Black or white, whichever contrasts more (as callback/widgets/theme.py chooses).
  function luminance(hex) {
    return [1, 3, 5].map(function (i) {
      var c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }).reduce(function (sum, c, i) { return sum + c * [0.2126, 0.7152, 0.0722][i]; }, 0);
  }

  function textColour(hex) {
    var l = luminance(hex);
    var onWhite = 1.05 / (l + 0.05);
    var onBlack = (l + 0.05) / 0.05;
    return onWhite >= onBlack ? "#ffffff" : "#000000";
  }

  function livePreview() {
    var form = document.getElementById("widget-form");
    var preview = document.getElementById("widget-preview");
    if (!form || !preview) return;

    function field(name) { return form.elements.namedItem(name); }

    function draw() {
      var colour = field("theme_color") && field("theme_color").value;
      if (/^#[0-9a-fA-F]{6}$/.test(colour || "")) {
        preview.style.setProperty("--c", colour);
        preview.style.setProperty("--t", textColour(colour));
      }
      var position = field("theme_position") && field("theme_position").value;
      if (position) {
        preview.classList.remove("bottom-left", "bottom-right");
        preview.classList.add(position);
      }
      var language = (field("language") && field("language").value) || preview.getAttribute("data-language");
      preview.querySelectorAll("[data-text]").forEach(function (node) {
        var typed = field("text_" + language + "_" + node.getAttribute("data-text"));
        var words = typed && typed.value.trim();
        node.textContent = words || node.getAttribute("data-" + language) || node.textContent;
        node.setAttribute("lang", language);
      });
    }

    form.addEventListener("input", draw);
    form.addEventListener("change", draw);
    draw();
  }

  copyButtons();
  livePreview();
})();
