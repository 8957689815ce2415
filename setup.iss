; Inno Setup 6 script: a per-user Windows installer for the one-folder build in
; dist\AIImageClassifier (made by `pyinstaller app.spec`).
;
;   ISCC.exe /DMyAppVersion=0.1.0 setup.iss
;
; The release workflow passes the version from ai_image_classifier.__version__, the project's
; single version source, and writes dist\AIImageClassifier-Setup-<version>.exe.

#ifndef MyAppVersion
  #error Pass the version: ISCC.exe /DMyAppVersion=x.y.z setup.iss
#endif
#define MyAppName "AI Image Classifier & Enhancer"
#define MyAppExeName "AIImageClassifier.exe"

[Setup]
; Never change the AppId: upgrades and the uninstaller find earlier installs by it.
AppId={{7C958DFE-F196-459C-9957-7F8AB4218DC7}
AppName={#MyAppName}
AppVersion={#MyAppVersion}
AppVerName={#MyAppName} {#MyAppVersion}
AppPublisher=AI Image Classifier & Enhancer contributors
; Per-user install: no administrator prompt, and drag and drop works (Windows blocks it into
; elevated programs). {autopf} is then %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
DefaultDirName={autopf}\AIImageClassifier
DefaultGroupName={#MyAppName}
DisableProgramGroupPage=yes
OutputDir=dist
OutputBaseFilename=AIImageClassifier-Setup-{#MyAppVersion}
SetupIconFile=assets\icon.ico
UninstallDisplayIcon={app}\{#MyAppExeName}
UninstallDisplayName={#MyAppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Upgrades close a running copy first, then replace it.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Clean upgrade: the previous version's libraries go, so none is left beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "dist\AIImageClassifier\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"
Name: "{autodesktop}\{#MyAppName}"; Filename: "{app}\{#MyAppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#MyAppExeName}"; Description: "{cm:LaunchProgram,{#StringChange(MyAppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent
