/* The resident portal's maps (Leaflet over the district's outlines; no tile server needed).
 *  - #public-map[data-map-url]: recent public cases as points (rounded locations).
 *  - #public-map[data-where-url]: the report form's map. The point comes from the phone's
 *    position or a tap; the server says which grid cell it is in (or that it is outside the
 *    district) and which open reports are already within 100 m, each with a "me too".
 */
(function () {
  "use strict";
  var el = document.getElementById("public-map");
  if (!el || !window.L) return;
  var areaStyle = { color: "#5b6475", weight: 1, fillOpacity: 0.03 };
  var cellStyle = { color: "#1f5fbf", weight: 2, fillOpacity: 0.1 };
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  if (window.gridgovBaseMap) window.gridgovBaseMap(map);
  map.setView([39.9, 116.4], 12);

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }
  // The district and its streets, named: enough to find one's way with no base map.
  var area = getJSON("/public/area.json").then(function (data) {
    var shapes = data.streets.map(function (s) {
      return { type: "Feature", geometry: s.geometry, properties: { name: s.name } };
    });
    if (data.district && data.district.geometry) {
      shapes.push({ type: "Feature", geometry: data.district.geometry, properties: { name: data.district.name } });
    }
    var layer = L.geoJSON(shapes.filter(function (f) { return f.geometry; }), {
      style: areaStyle,
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); },
    }).addTo(map);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [6, 6] });
    return layer;
  }).catch(function () { return null; });

  function caseMarker(feature, latlng) {
    var open = feature.properties.open;
    return L.circleMarker(latlng, { radius: 6, color: open ? "#b4232a" : "#217a3c", fillOpacity: 0.8 });
  }
  function popup(p) {
    var div = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.category;
    div.appendChild(title);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(p.stage + " · " + p.number + (p.department ? " · " + p.department : "")));
    return div;
  }

  if (el.dataset.mapUrl) {
    Promise.all([area, getJSON(el.dataset.mapUrl)]).then(function (results) {
      var points = L.geoJSON(results[1], {
        pointToLayer: caseMarker,
        onEachFeature: function (f, l) { l.bindPopup(popup(f.properties)); },
      }).addTo(map);
      if (!results[0] && points.getLayers().length) map.fitBounds(points.getBounds(), { padding: [10, 10] });
    });
    return;
  }

  // --- the report form ------------------------------------------------------------------
  var form = el.closest("form");
  var status = document.getElementById("gps-status");
  var lon = form.querySelector("[name=lon]"), lat = form.querySelector("[name=lat]");
  var nearby = document.getElementById("nearby");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var marker = null, cellLayer = null, tapped = false, best = Infinity;

  function showNearby(features) {
    var list = nearby.querySelector("ul");
    list.innerHTML = "";
    features.forEach(function (f) {
      var p = f.properties, li = document.createElement("li");
      var text = document.createElement("span");
      text.textContent = p.category + " · " + p.stage + " · " + p.supporters + " " + nearby.dataset.supporters;
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = nearby.dataset.meToo;
      button.addEventListener("click", function () {
        button.disabled = true;
        fetch(nearby.dataset.supportUrl.replace("NUMBER", encodeURIComponent(p.number)), {
          method: "POST", headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        }).then(function (r) { return r.json(); }).then(function (data) {
          text.textContent = p.category + " · " + p.stage + " · " + (data.supporters || p.supporters) + " " + nearby.dataset.supporters;
          button.textContent = data.error || nearby.dataset.thanks;
        });
      });
      li.appendChild(text);
      li.appendChild(button);
      list.appendChild(li);
    });
    nearby.hidden = !features.length;
  }

  function place(latitude, longitude) {
    lat.value = latitude.toFixed(7);
    lon.value = longitude.toFixed(7);
    if (marker) marker.setLatLng([latitude, longitude]);
    else marker = L.circleMarker([latitude, longitude], { radius: 8, color: "#b4232a", fillOpacity: 0.9 }).addTo(map);
    getJSON(el.dataset.whereUrl + "?lon=" + lon.value + "&lat=" + lat.value).then(function (where) {
      if (cellLayer) { map.removeLayer(cellLayer); cellLayer = null; }
      status.classList.toggle("error", !where.inside);
      if (!where.inside) { status.textContent = where.message; showNearby([]); return; }
      status.textContent = status.dataset.found + " " + where.community + " · " + where.cell;
      if (where.geometry) cellLayer = L.geoJSON(where.geometry, { style: cellStyle }).addTo(map);
      showNearby(where.nearby || []);
    });
  }

  if (lon.value && lat.value) place(parseFloat(lat.value), parseFloat(lon.value));
  map.on("click", function (e) { tapped = true; place(e.latlng.lat, e.latlng.lng); });
  function fix(pos) {
    if (tapped || pos.coords.accuracy > best) return;
    best = pos.coords.accuracy;
    place(pos.coords.latitude, pos.coords.longitude);
    map.setView([pos.coords.latitude, pos.coords.longitude], 17);
  }
  function noFix() {
    if (!lon.value) { status.textContent = status.dataset.failed; status.classList.add("error"); }
  }
  if (navigator.geolocation && !lon.value) {
    navigator.geolocation.getCurrentPosition(fix, noFix, { timeout: 10000, maximumAge: 60000 });
    var watch = navigator.geolocation.watchPosition(function (pos) {
      fix(pos);
      if (pos.coords.accuracy <= 30) navigator.geolocation.clearWatch(watch);
    }, noFix, { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 });
    setTimeout(function () { navigator.geolocation.clearWatch(watch); }, 120000);
  } else if (!lon.value) {
    noFix();
  }
})();
