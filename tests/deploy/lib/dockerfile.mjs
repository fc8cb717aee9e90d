// Dockerfile rules in the spirit of hadolint (no hadolint in Debian 12 or npm; the npm package of
// that name is not hadolint). Rule ids follow hadolint's where one exists, so its documentation
// explains them; `# hadolint ignore=DLxxxx` before an instruction is honoured as hadolint would.
// PLZ rules are Plaza's own: what the image promises (multi-stage, no compiler at run time, a
// non-root user, a health check, an entrypoint that picks the program).

// Instructions of a Dockerfile: [{line, keyword, args, ignored:Set}], continuation lines joined.
export function parseDockerfile(text) {
  const instructions = [];
  let pendingIgnores = new Set();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    const ignore = /^#\s*hadolint\s+ignore=([A-Z0-9,]+)/.exec(trimmed);
    if (ignore) {
      for (const rule of ignore[1].split(",")) pendingIgnores.add(rule);
      continue;
    }
    if (!trimmed || trimmed.startsWith("#")) continue;
    const start = i + 1;
    let joined = trimmed;
    while (joined.endsWith("\\") && i + 1 < lines.length) {
      joined = joined.slice(0, -1);
      const next = lines[++i].trim();
      if (next.startsWith("#")) continue;
      joined += " " + next;
    }
    const match = /^([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (!match) continue;
    instructions.push({ line: start, keyword: match[1].toUpperCase(), args: match[2].trim(), ignored: pendingIgnores });
    pendingIgnores = new Set();
  }
  return instructions;
}

function isJsonArray(args) {
  try {
    const value = JSON.parse(args);
    return Array.isArray(value) && value.every((item) => typeof item === "string");
  } catch {
    return false;
  }
}

// Findings: [{line, rule, message}] (empty if the Dockerfile keeps every rule).
export function lintDockerfile(text) {
  const findings = [];
  const instructions = parseDockerfile(text);
  const report = (instruction, rule, message) => {
    if (!instruction?.ignored.has(rule)) findings.push({ line: instruction?.line ?? 0, rule, message });
  };
  const stages = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") stages.push({ from: instruction, body: [] });
    else if (stages.length) stages.at(-1).body.push(instruction);
    else if (instruction.keyword !== "ARG") report(instruction, "DL3061", "the first instruction must be FROM (or ARG)");
  }
  if (!stages.length) return [{ line: 0, rule: "DL3061", message: "no FROM" }];

  const stageNames = new Set();
  for (const { from } of stages) {
    const [image, as, name] = from.args.split(/\s+/);
    if (as?.toUpperCase() === "AS" && name) stageNames.add(name);
    if (stageNames.has(image)) continue;
    if (!image.includes(":") && !image.includes("@")) report(from, "DL3006", `tag the image version explicitly: ${image}`);
    if (image.endsWith(":latest")) report(from, "DL3007", `do not use :latest: ${image}`);
  }

  for (const stage of stages) {
    let pipefail = false;
    for (const instruction of stage.body) {
      const { keyword, args } = instruction;
      if (keyword === "SHELL") pipefail = /pipefail/.test(args);
      if (keyword === "ADD") report(instruction, "DL3020", "use COPY instead of ADD for files and folders");
      if (keyword === "MAINTAINER") report(instruction, "DL4000", "MAINTAINER is deprecated");
      if ((keyword === "CMD" || keyword === "ENTRYPOINT") && !isJsonArray(args)) {
        report(instruction, "DL3025", `use the JSON form for ${keyword}`);
      }
      if (keyword === "HEALTHCHECK" && !/\bCMD\s+\[/.test(args) && args !== "NONE") {
        report(instruction, "DL3025", "use the JSON form for HEALTHCHECK CMD");
      }
      if (keyword === "WORKDIR" && !args.startsWith("/") && !args.startsWith("$")) {
        report(instruction, "DL3000", "use absolute WORKDIR");
      }
      if (keyword !== "RUN") continue;
      const commands = args.split(/&&|;|\|\|/).map((command) => command.trim());
      if (/(^|[;&|]\s*)cd\s/.test(args)) report(instruction, "DL3003", "use WORKDIR to switch to a directory");
      if (/(^|\s)sudo\s/.test(args)) report(instruction, "DL3004", "do not use sudo");
      if (/\bapt\s+(install|update|upgrade)/.test(args)) report(instruction, "DL3027", "use apt-get, not apt");
      if (/apt-get\s+(dist-)?upgrade/.test(args)) report(instruction, "DL3005", "do not apt-get upgrade in an image");
      if (/\|(?!\|)/.test(args.replace(/\|\|/g, "")) && !pipefail) {
        report(instruction, "DL4006", "set SHELL with -o pipefail before a RUN with a pipe");
      }
      for (const command of commands) {
        if (!/apt-get\s.*\binstall\b/.test(command)) continue;
        if (!/(\s-y\b|\s--yes\b|\s-qq?y|\s--assume-yes\b)/.test(command)) report(instruction, "DL3014", "use apt-get install -y");
        if (!/--no-install-recommends/.test(command)) report(instruction, "DL3015", "use apt-get install --no-install-recommends");
        if (!instruction.ignored.has("DL3008")) {
          const packages = command.replace(/.*\binstall\b/, "").split(/\s+/).filter((w) => w && !w.startsWith("-"));
          const unpinned = packages.filter((p) => !p.includes("="));
          if (unpinned.length) report(instruction, "DL3008", `pin versions in apt-get install (or say why not): ${unpinned.join(" ")}`);
        }
      }
      if (/apt-get\s+update/.test(args) && !/rm\s+-rf\s+\/var\/lib\/apt\/lists/.test(args)) {
        report(instruction, "DL3009", "delete the apt-get lists after installing (rm -rf /var/lib/apt/lists/*)");
      }
      if (/apt-get\s.*\binstall\b/.test(args) && !/apt-get\s+update/.test(args)) {
        report(instruction, "DL3009", "apt-get update in the same RUN as apt-get install");
      }
    }
  }

  // Plaza's rules for the image that runs.
  const runtime = stages.at(-1);
  const last = (keyword) => runtime.body.filter((i) => i.keyword === keyword).at(-1);
  if (stages.length < 2) report(runtime.from, "PLZ001", "build in one stage and run in another (no compiler at run time)");
  const user = last("USER");
  if (!user) report(runtime.from, "DL3002", "the image must switch to a non-root USER");
  else if (/^(root|0)(:|$)/.test(user.args)) report(user, "DL3002", "the last USER must not be root");
  for (const instruction of runtime.body.filter((i) => i.keyword === "RUN")) {
    const installs = instruction.args.split(/&&|;|\|\|/)
      .map((command) => /apt-get\s.*?\binstall\b(.*)/.exec(command)?.[1] ?? "").join(" ");
    for (const word of installs.split(/\s+/)) {
      if (/^(build-essential|gcc|g\+\+|clang|cmake|ninja-build|make|[a-z0-9.+-]+-dev)$/.test(word)) {
        report(instruction, "PLZ002", `the runtime stage must not install ${word}`);
      }
    }
  }
  for (const instruction of runtime.body.filter((i) => i.keyword === "COPY")) {
    if (!/--from=/.test(instruction.args) && /^\.\s/.test(instruction.args)) {
      report(instruction, "PLZ003", "the runtime stage copies binaries from the build stage, not the source tree");
    }
  }
  if (!last("HEALTHCHECK")) report(runtime.from, "PLZ004", "the image needs a HEALTHCHECK (plaza-healthcheck)");
  if (!last("ENTRYPOINT")) report(runtime.from, "PLZ005", "the image needs an ENTRYPOINT that picks the program");
  return findings;
}
