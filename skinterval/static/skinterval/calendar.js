/* The staff calendar (appointments/calendar.html): FullCalendar fed from the
 * events URL, drag-to-move through the move URL, a reason asked for when a move
 * leaves the session's window. Options and texts come from the page's JSON
 * blocks; a static file so the Content-Security-Policy needs no inline script. */
document.addEventListener("DOMContentLoaded", function () {
  const opts = JSON.parse(document.getElementById("calendar-options").textContent);
  const texts = JSON.parse(document.getElementById("calendar-texts").textContent);
  const status = document.getElementById("calendar-status");
  // The clinic's wall clock at page load, moved on by the time since (FullCalendar
  // without a time-zone plugin reads an ISO string without offset as wall clock).
  const nowAtLoad = Date.parse(opts.now + "Z");
  const loadedAt = Date.now();
  let minHour = 7, maxHour = 20;
  let calendar = null;

  function widenTo(events) {
    let lo = minHour, hi = maxHour;
    for (const e of events) {
      if (e.allDay) continue;
      const startHour = parseInt(e.start.slice(11, 13), 10);
      const endHour = parseInt(e.end.slice(11, 13), 10) + (e.end.slice(14, 16) === "00" ? 0 : 1);
      lo = Math.min(lo, startHour);
      hi = e.end.slice(0, 10) !== e.start.slice(0, 10) ? 24 : Math.max(hi, endHour);
    }
    if (lo < minHour || hi > maxHour) {
      minHour = lo; maxHour = hi;
      calendar.setOption("slotMinTime", String(minHour).padStart(2, "0") + ":00");
      calendar.setOption("slotMaxTime", String(maxHour).padStart(2, "0") + ":00");
    }
  }

  function content(arg) {
    const p = arg.event.extendedProps;
    const box = document.createElement("div");
    box.className = "event-body";
    if (p.kind === "appointment") {
      const time = document.createElement("span");
      time.className = "event-time";
      time.textContent = arg.timeText + " · " + p.statusLabel + " ";
      const name = document.createElement("strong");
      name.textContent = arg.event.title;
      const more = document.createElement("span");
      more.className = "event-more";
      more.textContent = " · " + p.service + " · " + p.where;
      box.append(time, name, more);
      box.title = box.textContent;
    } else {
      box.textContent = arg.event.title;
    }
    return { domNodes: [box] };
  }

  const dialog = document.getElementById("move-reason");
  const reasonText = document.getElementById("move-reason-text");
  const csrf = document.querySelector("#move-csrf [name=csrfmiddlewaretoken]").value;

  function say(text, isError) {
    status.className = isError ? "error" : "success";
    status.textContent = text;
  }

  // Ask the server to move the appointment by the dragged distance; on refusal
  // put it back. Outside its window, ask for the reason and try once more.
  function send(info, reason) {
    const delta = info.delta;
    const body = new URLSearchParams({
      appointment: info.event.extendedProps.appointment,
      days: String(delta.years * 365 + delta.months * 30 + delta.days),
      minutes: String(Math.round(delta.milliseconds / 60000)),
      override_reason: reason || "",
    });
    return fetch(opts.moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    }).then(function (response) {
      const type = response.headers.get("Content-Type") || "";
      if (!type.includes("json")) { return { ok: false, body: { error: texts.moveFailed } }; }
      return response.json().then(function (b) { return { ok: response.ok, body: b }; });
    });
  }

  function moved(info) {
    send(info, "").then(function (result) {
      if (result.ok) { say(result.body.message, false); calendar.refetchEvents(); return; }
      if (!result.body.needs_reason) { info.revert(); say(result.body.error || texts.moveFailed, true); return; }
      document.getElementById("move-reason-why").textContent = result.body.error;
      reasonText.value = "";
      dialog.returnValue = "";
      dialog.onclose = function () {
        if (dialog.returnValue !== "move" || !reasonText.value.trim()) { info.revert(); say(result.body.error, true); return; }
        send(info, reasonText.value).then(function (again) {
          if (again.ok) { say(again.body.message, false); calendar.refetchEvents(); }
          else { info.revert(); say(again.body.error || texts.moveFailed, true); }
        });
      };
      dialog.showModal();
    }).catch(function () { info.revert(); say(texts.moveFailed, true); });
  }

  calendar = new FullCalendar.Calendar(document.getElementById("calendar"), {
    timeZone: opts.timeZone,
    now: function () {
      return new Date(nowAtLoad + (Date.now() - loadedAt)).toISOString().slice(0, 19);
    },
    initialView: opts.initialView,
    headerToolbar: { left: "prev,next today", center: "title", right: "timeGridDay,timeGridWeek" },
    buttonText: texts.buttonText,
    buttonHints: texts.buttonHints,
    viewHint: texts.viewHint,
    allDayText: texts.allDayText,
    noEventsText: texts.noEventsText,
    firstDay: 1,
    height: "auto",
    slotMinTime: "07:00",
    slotMaxTime: "20:00",
    slotDuration: "00:30:00",
    nowIndicator: true,
    editable: true,
    eventDurationEditable: false,
    eventDragStart: function () { say("", false); },
    eventDrop: moved,
    slotEventOverlap: false,
    dayHeaderFormat: { weekday: "short", day: "numeric", month: "short" },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    eventContent: content,
    events: function (info, success, failure) {
      const params = new URLSearchParams({ start: info.startStr, end: info.endStr, resource: opts.resource });
      fetch(opts.eventsUrl + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          const type = response.headers.get("Content-Type") || "";
          if (!type.includes("json")) { throw new Error(texts.failed); }
          return response.json().then(function (body) {
            if (!response.ok) { throw new Error(body.error || texts.failed); }
            return body;
          });
        })
        .then(function (events) { success(events); widenTo(events); })
        .catch(function (error) { status.textContent = error.message || texts.failed; failure(error); });
    },
  });
  calendar.render();
  // The arrow icons are decoration: their buttons are named by buttonHints.
  calendar.el.querySelectorAll(".fc-icon").forEach(function (icon) {
    icon.setAttribute("aria-hidden", "true");
  });
});
