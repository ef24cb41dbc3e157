// Initialise GOV.UK Frontend 5.x components.
//
// Load as an ES module, at the end of <body>:
//   <script type="module" src="{% static 'js/govuk-init.js' %}"></script>
//
// Module scripts only run in browsers that support ES modules, which is the
// same test govuk-frontend's recommended inline snippet makes
// ('noModule' in HTMLScriptElement.prototype), so we can set the
// `govuk-frontend-supported` class here instead of with an inline <script>
// (keeps a strict Content-Security-Policy without 'unsafe-inline'/nonces).
// initAll() does nothing unless <body> has that class.
//
// The relative path resolves against this file's URL:
//   /static/js/govuk-init.js -> /static/govuk/govuk-frontend.min.js
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
