// Starts Swagger UI on /api/v1/docs. A file rather than an inline script, because the
// page's Content-Security-Policy allows scripts only from our origin.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
    validatorUrl: null
  });
})();
