// On a phone the panel is a bottom sheet over the map: closed (a bar saying how to choose an
// area), a peek showing the area's name, index and decile, or open to read everything. The map
// stays visible above it.
export const PHONE = "(max-width: 44rem)";

export class Sheet {
  constructor(panel, toggle) {
    this.panel = panel;
    this.toggle = toggle;
    this.media = window.matchMedia(PHONE);
    toggle.addEventListener("click", () => this.set(this.state() === "open" ? "peek" : "open"));
    this.set("closed");
  }

  phone() {
    return this.media.matches;
  }

  state() {
    return this.panel.dataset.sheet;
  }

  set(state) {
    this.panel.dataset.sheet = state;
    const open = state === "open";
    this.toggle.setAttribute("aria-expanded", String(open));
    this.toggle.textContent = open ? "Show less" : "Show all details";
    this.toggle.hidden = state === "closed";
    if (!open) this.panel.scrollTop = 0;
  }

  // Height the sheet covers at the bottom of the map (0 on wider screens).
  covered() {
    if (!this.phone()) return 0;
    return this.panel.getBoundingClientRect().height;
  }
}
