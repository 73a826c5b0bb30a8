<?php
// The attacker's probe: PHP served by one cms-isolate instance (standing for code an attacker
// got into a broken CMS) reports, as JSON, what it can see, read, write, signal and reach.
// Query parameters: victimData (the other instance's data dir), victimPids (host pids of the
// other instance, comma-separated), marker (a string in the other instance's cmdline),
// code (the shared code dir), hostTmpMarker (a file name the host made in its own /tmp),
// mine (a file name this probe writes into its own /tmp), connect (host:port list),
// killVisible=1 (signal 0 to every visible pid outside its own ancestry).
header('Content-Type: application/json');
$q = $_GET;
$list = fn($s) => $s === '' || $s === null ? [] : explode(',', $s);
$err = fn() => error_get_last()['message'] ?? '';

// Processes: every pid in /proc and its cmdline.
$procs = [];
foreach (scandir('/proc') ?: [] as $e) {
  if (!ctype_digit($e)) continue;
  $cmd = @file_get_contents("/proc/$e/cmdline");
  $procs[(int)$e] = $cmd === false ? null : trim(str_replace("\0", ' ', $cmd));
}
$marker = $q['marker'] ?? '';
$markerSeen = $marker !== '' && count(array_filter($procs, fn($c) => $c !== null && str_contains($c, $marker))) > 0;

// The other instance's data: list, read, write, create.
$vd = $q['victimData'] ?? '';
$victim = $vd === '' ? null : [
  'stat' => @stat($vd) !== false,
  'list' => @scandir($vd) !== false,
  'listData' => @scandir("$vd/data/pages") !== false,
  'readUsers' => @file_get_contents("$vd/conf/users.auth.php") !== false,
  'readStart' => @file_get_contents("$vd/data/pages/start.txt") !== false,
  'create' => @file_put_contents("$vd/data/pages/pwned.txt", 'pwned') !== false,
  'appendStart' => @file_put_contents("$vd/data/pages/start.txt", 'pwned', FILE_APPEND) !== false,
];

// The shared code dir: create a file, append to an existing one.
$code = $q['code'] ?? '';
$codeWrite = $code === '' ? null : [
  'create' => @file_put_contents("$code/pwned.php", '<?php echo 1;') !== false,
  'append' => @file_put_contents("$code/doku.php", "\n// pwned", FILE_APPEND) !== false,
  'mkdir' => @mkdir("$code/pwned-dir"),
];

// /tmp: what it lists; the host's marker must not show; this instance's own file must stick.
$mine = $q['mine'] ?? '';
$tmpWrite = $mine !== '' && @file_put_contents("/tmp/$mine", 'mine') !== false;
$tmp = [
  'list' => array_values(array_diff(scandir('/tmp') ?: [], ['.', '..'])),
  'hostMarker' => ($q['hostTmpMarker'] ?? '') !== '' && file_exists('/tmp/' . $q['hostTmpMarker']),
  'wroteMine' => $tmpWrite,
  'readMine' => $mine !== '' && @file_get_contents("/tmp/$mine") === 'mine',
];

// Signals: the other instance's host pids (0, then SIGTERM), and every pid visible here that is
// not this process or one of its ancestors (with killVisible=1; signal 0 only: a probe).
$kills = [];
foreach ($list($q['victimPids'] ?? '') as $p) {
  foreach ([0, 15] as $sig) {
    $ok = posix_kill((int)$p, $sig);
    $kills[] = ['pid' => (int)$p, 'sig' => $sig, 'ok' => $ok, 'errno' => $ok ? 0 : posix_get_last_error()];
  }
}
$ancestors = [];
for ($p = getmypid(); $p > 0 && !isset($ancestors[$p]); ) {
  $ancestors[$p] = true;
  $st = @file_get_contents("/proc/$p/stat");
  if ($st === false) break;
  $p = (int)explode(' ', substr($st, strrpos($st, ')') + 2))[1];
}
$others = [];
foreach (($q['killVisible'] ?? '') === '1' ? array_keys($procs) : [] as $p) {
  if (isset($ancestors[$p])) continue;
  $ok = posix_kill($p, 0);
  $others[] = ['pid' => $p, 'cmd' => $procs[$p], 'ok' => $ok, 'errno' => $ok ? 0 : posix_get_last_error()];
}

// Connections: each host:port, one second at most.
$connect = [];
foreach ($list($q['connect'] ?? '') as $t) {
  [$h, $port] = explode(':', $t);
  $s = @fsockopen($h, (int)$port, $errno, $errstr, 1.0);
  $connect[$t] = $s !== false ? 'connected' : "failed: $errstr";
  if ($s) fclose($s);
}

echo json_encode([
  'pid' => getmypid(),
  'uid' => posix_getuid(),
  'hostname' => gethostname(),
  'env' => ['CMS_NAME' => getenv('CMS_NAME'), 'CMS_DATA' => getenv('CMS_DATA')],
  'procs' => $procs,
  'ancestors' => array_keys($ancestors),
  'markerSeen' => $markerSeen,
  'victim' => $victim,
  'codeWrite' => $codeWrite,
  'tmp' => $tmp,
  'kills' => $kills,
  'others' => $others,
  'connect' => $connect,
], JSON_PRETTY_PRINT), "\n";
