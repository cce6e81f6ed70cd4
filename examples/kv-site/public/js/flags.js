// Reads the feature flags the worker serves from KV and shows what they switch on.
fetch('/api/flags')
  .then((res) => res.json())
  .then((flags) => {
    if (flags.newBooking) document.getElementById('new-booking').hidden = false;
  });
