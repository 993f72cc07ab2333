/*
 * Consent gateway async loader. Paste (the minified dist/snippet.min.js) into
 * the page <head>, replace GATEWAY with your gateway's host, then call
 * consentGateway.init({...}) and consentGateway.page() right after it.
 *
 * Until the library arrives, every method is a stub that queues its call and
 * returns a Promise of the real method's result; the library replays the
 * queue in order when it loads.
 */
(function (w, d, src) {
  if (w.consentGateway) return;
  var q = [];
  var cg = (w.consentGateway = { _q: q });
  function stub(path) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      return new Promise(function (resolve, reject) {
        q.push([path, args, resolve, reject]);
      });
    };
  }
  var methods = ['init', 'page', 'track', 'identify', 'reset', 'flush', 'stats', 'on'];
  for (var i = 0; i < methods.length; i++) cg[methods[i]] = stub(methods[i]);
  cg.consent = { get: stub('consent.get'), set: stub('consent.set') };
  cg.preferences = { open: stub('preferences.open') };
  cg.choice = { choose: stub('choice.choose'), show: stub('choice.show') };
  var s = d.createElement('script');
  s.async = true;
  s.src = src;
  var first = d.getElementsByTagName('script')[0];
  if (first && first.parentNode) first.parentNode.insertBefore(s, first);
  else d.head.appendChild(s);
})(window, document, 'https://GATEWAY/sdk/v1/gateway.min.js');
