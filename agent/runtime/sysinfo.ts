import cpu from 'systeminformation/lib/cpu.js';
import filesystem from 'systeminformation/lib/filesystem.js';
import memory from 'systeminformation/lib/memory.js';
import network from 'systeminformation/lib/network.js';
import osinfo from 'systeminformation/lib/osinfo.js';
import system from 'systeminformation/lib/system.js';
import users from 'systeminformation/lib/users.js';
import util from 'systeminformation/lib/util.js';

// What systeminformation's index.js does when loaded on Windows: looks up the console code page and
// the path of powershell.exe once (every WMI query spawns that path).
if (process.platform === 'win32') {
  util.getCodepage();
  util.getPowershell();
}

/**
 * The systeminformation functions the agent calls (host and inventory collectors, enrollment, the
 * Windows shell), imported module by module. The package's index.js requires all of its modules
 * (graphics, docker, VirtualBox, wifi, bluetooth, printers, USB, audio, processes…), so a bundle
 * importing the package carried them all (~0.3 MB of the agent's source, which V8 keeps for the
 * process's life); these are the same functions, from the same files.
 */
export const si = {
  cpu: cpu.cpu,
  currentLoad: cpu.currentLoad,
  fsSize: filesystem.fsSize,
  diskLayout: filesystem.diskLayout,
  mem: memory.mem,
  memLayout: memory.memLayout,
  networkStats: network.networkStats,
  networkInterfaces: network.networkInterfaces,
  osInfo: osinfo.osInfo,
  uuid: osinfo.uuid,
  system: system.system,
  bios: system.bios,
  baseboard: system.baseboard,
  users: users.users,
  powerShellStart: util.powerShellStart,
  powerShellRelease: util.powerShellRelease,
};
