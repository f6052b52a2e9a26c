// The Runtime API docs page: Swagger UI (embedded from swagger-ui-dist) on
// /openapi.json, with a plugin that
//  - titles the two flows of the API's one OAuth2 scheme "User login"
//    (password) and "Site client login" (client credentials), shows each
//    section only the fields it needs, and keeps each section's logged-in
//    state and errors to itself (Swagger UI keys both by scheme name);
//  - never keeps a password or client secret: only the token and the
//    names survive a reload (persistAuthorization stores them);
//  - shows the Authorization header of the current login with Show and
//    Copy buttons, for use from the command line.
// Plain JavaScript with Swagger UI's own React: no build step.
(function () {
  "use strict";

  var SECTIONS = {
    password: {
      title: "User login",
      hint: "Log in as a person, with your username and password.",
      className: "runtime-login runtime-login-user"
    },
    clientCredentials: {
      title: "Site client login",
      hint: "Log in as a site, with the client_id and client_secret of one of its site clients " +
        "(made by POST /sites/{site_id}:generateCredentials).",
      className: "runtime-login runtime-login-client"
    }
  };

  // The flow whose section last asked for a token, by scheme: a failed
  // login's error shows in that section only.
  var lastAttempt = {};

  function flowOf(auth) {
    return auth && auth.getIn(["schema", "flow"]);
  }

  function RuntimeDocsPlugin(system) {
    var React = system.React;
    var h = React.createElement;

    // One section of the Authorize dialog, around Swagger UI's own form.
    function wrapOauth2(Original) {
      return function RuntimeLogin(props) {
        var flow = props.schema.get("flow");
        var section = SECTIONS[flow];
        if (!section) {
          return h(Original, props);
        }
        var name = props.name;
        var mine = props.authSelectors.authorized().filter(function (auth) {
          return flowOf(auth) === flow;
        });
        var authSelectors = Object.assign({}, props.authSelectors, {
          authorized: function () { return mine; }
        });
        var errSelectors = Object.assign({}, props.errSelectors, {
          allErrors: function () {
            var errors = props.errSelectors.allErrors();
            if (lastAttempt[name] === flow) {
              return errors;
            }
            return errors.filter(function (e) { return e.get("authId") !== name; });
          }
        });
        function onClickCapture(e) {
          var button = e.target.closest && e.target.closest("button");
          if (button && button.classList.contains("authorize")) {
            lastAttempt[name] = flow;
          }
        }
        return h("div", { className: section.className, onClickCapture: onClickCapture },
          h("h4", { className: "runtime-login-title" }, section.title),
          h("p", { className: "runtime-login-hint" }, section.hint),
          h(Original, Object.assign({}, props, {
            authorized: mine,
            authSelectors: authSelectors,
            errSelectors: errSelectors
          })));
      };
    }

    // The current login's Authorization header, masked until shown.
    function BearerHeader(props) {
      var shownState = React.useState(false);
      var copyState = React.useState("");
      var shown = shownState[0];
      var setShown = shownState[1];
      var copyLabel = copyState[0];
      var setCopyLabel = copyState[1];

      var auth = props.authSelectors.authorized().find(function (a) {
        return !!a.getIn(["token", "access_token"]);
      });
      if (!auth) {
        return null;
      }
      var header = "Authorization: Bearer " + auth.getIn(["token", "access_token"]);
      var isUser = flowOf(auth) === "password";
      var who = isUser ? auth.get("username") : auth.get("clientId");

      function copied(label) {
        setCopyLabel(label);
        window.setTimeout(function () { setCopyLabel(""); }, 2000);
      }
      function copyWithSelection() {
        var area = document.createElement("textarea");
        area.value = header;
        area.setAttribute("readonly", "");
        area.className = "runtime-offscreen";
        document.body.appendChild(area);
        area.select();
        var ok = false;
        try {
          ok = document.execCommand("copy");
        } catch (e) {
          ok = false;
        }
        document.body.removeChild(area);
        copied(ok ? "Copied" : "Copy failed: Show, then select it");
      }
      function copy() {
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(header).then(function () { copied("Copied"); }, copyWithSelection);
        } else {
          copyWithSelection();
        }
      }

      return h("div", { className: "runtime-bearer" },
        h("div", { className: "runtime-bearer-who" },
          "Logged in as " + (isUser ? "user " : "site client "),
          h("strong", null, who || "?")),
        h("div", { className: "runtime-bearer-line" },
          h("code", { className: "runtime-bearer-header" },
            shown ? header : "Authorization: Bearer " + "\u2022".repeat(24)),
          h("button", {
            type: "button",
            className: "btn runtime-bearer-show",
            "aria-pressed": shown ? "true" : "false",
            onClick: function () { setShown(!shown); }
          }, shown ? "Hide" : "Show"),
          h("button", { type: "button", className: "btn runtime-bearer-copy", onClick: copy },
            copyLabel || "Copy")));
    }

    function wrapAuthorizeBtn(Original, sys) {
      var Bearer = null;
      return function RuntimeAuthorizeBtn(props) {
        // A container re-renders on every change of the login state.
        Bearer = Bearer || sys.getComponent("RuntimeBearerHeader", true);
        return h("div", { className: "runtime-auth-bar" }, h(Bearer), h(Original, props));
      };
    }

    return {
      components: { RuntimeBearerHeader: BearerHeader },
      wrapComponents: { oauth2: wrapOauth2, authorizeBtn: wrapAuthorizeBtn },
      statePlugins: {
        auth: {
          wrapActions: {
            // Swagger UI keeps the whole login form beside the token, and
            // persistAuthorization writes it to localStorage: drop the
            // secrets before either happens.
            authorizeOauth2: function (original) {
              return function (payload) {
                var auth = Object.assign({}, payload.auth);
                delete auth.password;
                delete auth.clientSecret;
                return original(Object.assign({}, payload, { auth: auth }));
              };
            }
          }
        }
      }
    };
  }

  window.ui = window.SwaggerUIBundle({
    url: new URL("openapi.json", document.baseURI).href,
    dom_id: "#swagger-ui",
    presets: [window.SwaggerUIBundle.presets.apis],
    plugins: [window.SwaggerUIBundle.plugins.DownloadUrl, RuntimeDocsPlugin],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    // No badge from an outside validator: the page uses nothing but this server.
    validatorUrl: null
  });
})();
