<#
.SYNOPSIS
  Installs the hatang agent on a Windows PC so that it runs at boot as SYSTEM and restarts when it
  stops (Windows PowerShell 5.1 on Windows 8 / Server 2012 or later; built-in tools only).

.DESCRIPTION
  UNTESTED: written without a Windows machine to run it on. Read it before running it.

  From an elevated PowerShell, after copying the built project to C:\Program Files\hatang (or
  -HatangPath) and installing Node.js 20 LTS:

    powershell -ExecutionPolicy Bypass -File install-windows.ps1 `
      -Server https://hatang1.tinh.gov.vn:8443,https://hatang2.tinh.gov.vn:8443 -Token <site token>

  Why a scheduled task and not a service: node.exe does not speak the Service Control Manager's
  protocol, so a service whose binary is node.exe is failed by Windows after 30 s (error 1053). A
  real service needs a wrapper (WinSW, NSSM), which Windows does not ship. The task below runs at
  boot as SYSTEM with no time limit, and its runner restarts the agent 10 s after any exit, which is
  what `sc.exe failure ... restart/10000` would do for a service.

  Steps (running it again changes nothing but the token, when given):
  1. the token goes into <config dir>\enrollment-token.txt, readable only by SYSTEM and
     Administrators (icacls); the config reads it with ${file:...};
  2. the config is written only when absent (same sections as config/agent.example.yaml);
  3. `node hatang.js agent --check` must accept it;
  4. <config dir>\run-agent.cmd (the restart loop) and the scheduled task "hatang-agent" are
     (re)written, and the task is started.
  Node is found as -NodePath, else node.exe on PATH, else C:\Program Files\nodejs\node.exe.
#>
[CmdletBinding()]
param(
  [string]$ConfigPath = "$env:ProgramData\hatang\agent.yaml",
  [string]$StateDir = "$env:ProgramData\hatang\state",
  [string]$Token,
  [string[]]$Server = @(),
  [string]$NodePath,
  [string]$HatangPath = "$env:ProgramFiles\hatang\dist\cli\hatang.js"
)

$ErrorActionPreference = 'Stop'
$TaskName = 'hatang-agent'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'install-windows.ps1: run it from an elevated PowerShell (Run as administrator)'
}
if (-not $NodePath) {
  $onPath = Get-Command node.exe -ErrorAction SilentlyContinue
  $NodePath = if ($onPath) { $onPath.Source } else { "$env:ProgramFiles\nodejs\node.exe" }
}
if (-not (Test-Path -LiteralPath $NodePath)) { throw "install-windows.ps1: node.exe not found at $NodePath (install Node.js 20 LTS or pass -NodePath)" }
if (-not (Test-Path -LiteralPath $HatangPath)) { throw "install-windows.ps1: $HatangPath not found (copy the built project or pass -HatangPath)" }

$configDir = Split-Path -Parent $ConfigPath
$tokenFile = Join-Path $configDir 'enrollment-token.txt'
$runner = Join-Path $configDir 'run-agent.cmd'
New-Item -ItemType Directory -Force -Path $configDir, $StateDir | Out-Null

function Protect([string]$Path) {
  # Only SYSTEM (the agent) and Administrators; nothing inherited from ProgramData (Users: read).
  & icacls.exe $Path /inheritance:r /grant:r 'SYSTEM:(F)' 'Administrators:(F)' | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "install-windows.ps1: icacls $Path failed (exit $LASTEXITCODE)" }
}

# 1. The token.
if ($Token) {
  if ($Token.Length -lt 16 -or $Token -notmatch '^[A-Za-z0-9._~+/=-]+$') {
    throw 'install-windows.ps1: -Token must be at least 16 letters, digits or . _ ~ + / = - (as printed by hatang token new)'
  }
  [IO.File]::WriteAllText($tokenFile, $Token)
  Protect $tokenFile
  Write-Output "token       $tokenFile written (SYSTEM and Administrators only)"
} elseif (-not (Test-Path -LiteralPath $tokenFile)) {
  Write-Output "token       none given (-Token): an agent not yet enrolled cannot enroll"
}

# 2. The config, only when absent. Single-quoted YAML keeps backslashes as they are.
if (Test-Path -LiteralPath $ConfigPath) {
  Write-Output "config      $ConfigPath exists: kept as it is"
} else {
  if ($Server.Count -eq 0) { throw "install-windows.ps1: -Server <url> is required: $ConfigPath does not exist yet" }
  $q = { param($s) "'" + ($s -replace "'", "''") + "'" }
  $urls = ($Server | ForEach-Object { '    - ' + (& $q $_) }) -join "`r`n"
  $tokenLine = if (Test-Path -LiteralPath $tokenFile) { "  enrollment_token: '`${file:$tokenFile}'" } else { '  # enrollment_token: ${file:C:\ProgramData\hatang\enrollment-token.txt}' }
  $yaml = @"
# hatang agent configuration, written by install-windows.ps1 (from config/agent.example.yaml).
# Every key is checked at start: node hatang.js agent --check --config <this file>
agent:
  state_dir: $(& $q $StateDir)
  log_level: info
server:
  urls:
$urls
  # Needed until the agent has enrolled; then this line and the token file may be removed.
$tokenLine
  request_timeout: 15s
queue:
  max_bytes: 64MiB
  batch_max_points: 1000
  send_interval: 5s
  backoff_max: 5m
health_interval: 60s
collectors:
  - type: host
    interval: 30s
  - type: inventory
    interval: 15m
  - type: antivirus
    interval: 15m
  - type: connectivity
    interval: 60s
    gateway: off             # Windows: "auto" is not available yet; write the gateway's address here
"@
  [IO.File]::WriteAllText($ConfigPath, $yaml)
  Protect $ConfigPath
  Write-Output "config      $ConfigPath written"
}

# 3. The agent must accept it.
& $NodePath $HatangPath agent --check --config $ConfigPath
if ($LASTEXITCODE -ne 0) { throw "install-windows.ps1: $ConfigPath is refused by hatang agent --check (see above)" }

# 4. The runner (restart 10 s after any exit; ping waits because timeout.exe needs a console) and the task.
$cmd = @"
@echo off
rem Written by install-windows.ps1: runs the hatang agent, and again 10 s after it stops.
:loop
"$NodePath" "$HatangPath" agent --config "$ConfigPath"
ping -n 11 127.0.0.1 >nul
goto loop
"@
[IO.File]::WriteAllText($runner, $cmd)
Protect $runner

$action = New-ScheduledTaskAction -Execute "$env:SystemRoot\System32\cmd.exe" -Argument "/d /c `"`"$runner`"`"" `
  -WorkingDirectory (Split-Path -Parent (Split-Path -Parent (Split-Path -Parent $HatangPath)))
$trigger = New-ScheduledTaskTrigger -AtStartup
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -MultipleInstances IgnoreNew `
  -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable `
  -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1)
$system = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
if (Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue) {
  Stop-ScheduledTask -TaskName $TaskName
  Set-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings -Principal $system | Out-Null
  Write-Output "task        $TaskName updated"
} else {
  Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings -Principal $system `
    -Description 'hatang agent: inventory and monitoring of this machine' | Out-Null
  Write-Output "task        $TaskName registered (at startup, as SYSTEM)"
}
Start-ScheduledTask -TaskName $TaskName
Write-Output "task        $TaskName started; check with: & `"$NodePath`" `"$HatangPath`" agent status --config `"$ConfigPath`""
