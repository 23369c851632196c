/* The base map under every Leaflet map (grids.basemap): tile layers from the page's
 * #gridgov-basemap JSON block, with their attribution; or, with none configured, a hint
 * saying how to add one (signed-in users only). Maps still work on polygons alone.
 */
(function () {
  "use strict";
  var node = document.getElementById("gridgov-basemap");
  var config = node ? JSON.parse(node.textContent) : {};
  window.gridgovBaseMap = function (map) {
    if (!config.url) {
      if (!config.hint) return;
      var hint = L.control({ position: "bottomleft" });
      hint.onAdd = function () {
        var div = L.DomUtil.create("div", "map-hint");
        div.textContent = config.hint;
        return div;
      };
      hint.addTo(map);
      return;
    }
    var options = { maxZoom: config.maxZoom || 18, subdomains: config.subdomains || [] };
    if (!options.subdomains.length) delete options.subdomains;
    L.tileLayer(config.url, options).addTo(map);
    if (config.labels) L.tileLayer(config.labels, options).addTo(map);
    if (config.attribution) {
      L.control.attribution({ prefix: false }).addAttribution(config.attribution).addTo(map);
    }
  };
})();
