/** Stable across versions: MajorUpgrade finds the installed agent by it; components keep their ids. */
export const msiUpgradeCode = '6E0C8D41-2B7A-4F55-9C3E-7A1D5B20F4C1';
const componentGuids = {
  exe: '0B1E6F0A-5C1D-4C55-8E2B-3C7F1A9D2E01',
  service: '0B1E6F0A-5C1D-4C55-8E2B-3C7F1A9D2E02',
  script: '0B1E6F0A-5C1D-4C55-8E2B-3C7F1A9D2E03',
};
export const windowsServiceName = 'hatang-agent';

const xml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * The WiX source wixl (run in the directory holding hatang-agent.exe, nssm.exe and
 * install-windows.ps1: file sources are relative) turns into hatang-agent.msi: the agent under Program Files\hatang, NSSM as
 * the service binary of the `hatang-agent` service (LocalSystem, automatic start; NSSM reads what
 * to run from the service's Parameters key and restarts the agent 10 s after any exit). SERVER and
 * TOKENFILE go into the service's arguments: at its first start (at install) the agent writes
 * agent.yaml and the token under %ProgramData%\hatang when agent.yaml is absent. No custom action:
 * run by Wine's msiexec, one that started hatang-agent.exe reported success without running it.
 * MajorUpgrade replaces an older version in place; %ProgramData%\hatang (config, credential, queue,
 * logs) is not the MSI's and survives upgrades and uninstall. Uninstall stops the service, waiting
 * for it (Wait: else it was deleted while STOP_PENDING), and deletes it.
 */
export function renderWxs(o: { version: string }): string {
  if (!/^\d+\.\d+\.\d+$/.test(o.version))
    throw new Error(`msi version: ${JSON.stringify(o.version)} is not major.minor.patch`);
  const src = (name: string) => xml(name);
  const params = `SYSTEM\\CurrentControlSet\\Services\\${windowsServiceName}\\Parameters`;
  const config = '[CommonAppDataFolder]hatang\\agent.yaml';
  const logs = '[CommonAppDataFolder]hatang\\logs';
  // The service's arguments carry SERVER and TOKENFILE: at its first start the agent writes
  // agent.yaml and the token from them (cli/agent-command.ts seedConfig) when agent.yaml is absent.
  const appParameters = `--config "${config}" --server "[SERVER]" --token-file "[TOKENFILE]"`;
  return `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="hatang agent" Language="1033" Version="${o.version}" Manufacturer="hatang" UpgradeCode="{${msiUpgradeCode}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Description="hatang agent ${o.version}" Comments="Node.js 20 runtime inside: Windows 8.1 / Server 2012 R2 or later"/>
    <Media Id="1" Cabinet="agent.cab" EmbedCab="yes"/>
    <MajorUpgrade DowngradeErrorMessage="A newer hatang agent is already installed."/>
    <Property Id="SERVER"/>
    <Property Id="TOKENFILE"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="hatang">
          <Component Id="AgentExe" Guid="{${componentGuids.exe}}" Win64="yes">
            <File Id="AgentExe" Name="hatang-agent.exe" Source="${src('hatang-agent.exe')}" KeyPath="yes"/>
          </Component>
          <Component Id="Service" Guid="{${componentGuids.service}}" Win64="yes">
            <File Id="Nssm" Name="nssm.exe" Source="${src('nssm.exe')}" KeyPath="yes"/>
            <ServiceInstall Id="Service" Name="${windowsServiceName}" DisplayName="hatang agent" Description="hatang inventory and monitoring agent (NSSM runs hatang-agent.exe)" Type="ownProcess" Start="auto" ErrorControl="normal" Account="LocalSystem" Vital="yes"/>
            <ServiceControl Id="Service" Name="${windowsServiceName}" Start="install" Stop="both" Remove="uninstall" Wait="yes"/>
            <RegistryKey Root="HKLM" Key="${params}">
              <RegistryValue Name="Application" Type="string" Value="[INSTALLDIR]hatang-agent.exe"/>
              <RegistryValue Name="AppParameters" Type="string" Value="${xml(appParameters)}"/>
              <RegistryValue Name="AppDirectory" Type="string" Value="[INSTALLDIR]"/>
              <RegistryValue Name="AppStdout" Type="string" Value="${logs}\\service-output.log"/>
              <RegistryValue Name="AppStderr" Type="string" Value="${logs}\\service-output.log"/>
              <RegistryValue Name="AppRotateFiles" Type="integer" Value="1"/>
              <RegistryValue Name="AppRotateBytes" Type="integer" Value="10485760"/>
              <RegistryValue Name="AppRestartDelay" Type="integer" Value="10000"/>
              <RegistryValue Name="AppStopMethodConsole" Type="integer" Value="10000"/>
            </RegistryKey>
            <RegistryKey Root="HKLM" Key="${params}\\AppExit">
              <RegistryValue Type="string" Value="Restart"/>
            </RegistryKey>
          </Component>
          <Component Id="Script" Guid="{${componentGuids.script}}" Win64="yes">
            <File Id="Script" Name="install-windows.ps1" Source="${src('install-windows.ps1')}" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Agent" Title="hatang agent" Level="1">
      <ComponentRef Id="AgentExe"/>
      <ComponentRef Id="Service"/>
      <ComponentRef Id="Script"/>
    </Feature>
  </Product>
</Wix>
`;
}
