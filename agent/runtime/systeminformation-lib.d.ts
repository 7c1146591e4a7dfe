/**
 * systeminformation's modules, imported one by one by sysinfo.ts. The package ships types for its
 * index only; each module here exports the same functions the index re-exports (lib/index.js), so
 * their types are the index's.
 */
declare module 'systeminformation/lib/cpu.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'cpu' | 'currentLoad'>;
  export default lib;
}
declare module 'systeminformation/lib/filesystem.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'fsSize' | 'diskLayout'>;
  export default lib;
}
declare module 'systeminformation/lib/memory.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'mem' | 'memLayout'>;
  export default lib;
}
declare module 'systeminformation/lib/network.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'networkStats' | 'networkInterfaces'>;
  export default lib;
}
declare module 'systeminformation/lib/osinfo.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'osInfo' | 'uuid'>;
  export default lib;
}
declare module 'systeminformation/lib/system.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'system' | 'bios' | 'baseboard'>;
  export default lib;
}
declare module 'systeminformation/lib/users.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'users'>;
  export default lib;
}
declare module 'systeminformation/lib/util.js' {
  import type * as si from 'systeminformation';

  const lib: Pick<typeof si, 'powerShellStart' | 'powerShellRelease'> & {
    /** Windows: the console code page (`chcp`), looked up once and kept. */
    getCodepage(): string | undefined;
    /** Windows: sets the path of powershell.exe the module spawns (%WINDIR%\system32\WindowsPowerShell\v1.0\ when it exists). */
    getPowershell(): void;
  };
  export default lib;
}
