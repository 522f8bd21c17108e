// Agents never miss a chat. A chat assigned to them, or a customer writing in one of theirs, while
// the console is not in front (another tab, another window) counts in the tab's title, chimes, and
// raises a desktop notification where they allowed it; coming back clears the count. In front,
// with another chat open, it only chimes.
import { fmt, t } from "./i18n.js";
import { state } from "./state.js";

let unseen = 0;
let audio = null;

// Browsers allow sound and the permission prompt only after a gesture: the first click arms them.
function armAlerts() {
  if (!audio && window.AudioContext) audio = new AudioContext();
  if (audio && audio.state === "suspended") audio.resume();
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
}
document.addEventListener("click", armAlerts, { once: true });

function inFront() {
  return document.visibilityState === "visible" && document.hasFocus();
}

// kind: "assigned" (a chat is now theirs) or "message" (the customer wrote).
export function alertAgent(kind, handoff) {
  if (inFront()) {
    if (!state.detail || state.detail.id !== handoff.id) chime();
    return;
  }
  unseen += 1;
  showTitle();
  chime();
  if ("Notification" in window && Notification.permission === "granted") {
    const texts = t().alerts;
    const shown = new Notification(fmt(texts[kind], { reference: handoff.reference }), {
      body: handoff.summary, tag: "handoff-" + handoff.id, lang: state.language, dir: t().dir,
    });
    shown.onclick = () => { window.focus(); window.dispatchEvent(new CustomEvent("open-handoff", { detail: handoff.id })); };
  }
}

export function showTitle() {
  document.title = unseen ? fmt(t().alerts.title, { count: unseen, title: t().title }) : t().title;
}

function seen() {
  if (!inFront() || !unseen) return;
  unseen = 0;
  showTitle();
}
document.addEventListener("visibilitychange", seen);
window.addEventListener("focus", seen);

// Two short tones, made here: no sound file to fetch.
function chime() {
  if (!audio || audio.state !== "running") return;
  const now = audio.currentTime;
  [0, 0.18].forEach((offset, index) => {
    const tone = audio.createOscillator();
    const volume = audio.createGain();
    tone.frequency.value = index ? 880 : 660;
    volume.gain.setValueAtTime(0.15, now + offset);
    volume.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.15);
    tone.connect(volume).connect(audio.destination);
    tone.start(now + offset);
    tone.stop(now + offset + 0.16);
  });
}
