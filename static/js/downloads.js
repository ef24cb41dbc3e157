/*
 * Download links (templates/reports/includes/downloads.html): a PDF takes a
 * while to print, so clicking its link says so in the section's status
 * message, which a screen reader announces. The link still downloads as
 * usual; without JavaScript it just downloads.
 */
(function () {
  "use strict";

  document.querySelectorAll(".app-downloads").forEach(function (section) {
    var status = section.querySelector("[role='status']");
    if (!status) {
      return;
    }
    section.querySelectorAll("a[data-preparing]").forEach(function (link) {
      link.addEventListener("click", function () {
        status.textContent = link.getAttribute("data-preparing");
      });
    });
  });
})();
