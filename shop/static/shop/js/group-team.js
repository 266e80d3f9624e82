// A group-buy team's share page follows the team without a reload: seats left and who is in, from the
// commerce API (GET /api/v1/group-buys/teams/<code>); when the team fills or ends, the page reloads
// once so the reader's own order shows its new status. A static file: the CSP needs no inline script.
(function () {
  const section = document.querySelector(".group-team[data-state-url]");
  if (!section) return;
  const status = section.querySelector(".group-team-status");
  const members = section.querySelector(".group-members");
  let shown = section.dataset.status;
  async function refresh() {
    try {
      const response = await fetch(section.dataset.stateUrl, {headers: {Accept: "application/json"}});
      if (!response.ok) return;
      const team = await response.json();
      members.replaceChildren(...team.members.map(function (name) {
        const item = document.createElement("li");
        item.textContent = name;
        return item;
      }));
      if (team.status !== shown) {
        shown = team.status;
        if (team.status === "captured" || team.status === "released") { window.location.reload(); return; }
      }
      const seats = status.querySelector(".seats-left");
      if (seats && team.status === "forming") {
        seats.textContent = team.seats_left + (team.seats_left === 1 ? " seat left" : " seats left");
      }
    } catch (error) { /* offline for a moment: try again on the next tick */ }
  }
  window.setInterval(refresh, 2000);
})();
