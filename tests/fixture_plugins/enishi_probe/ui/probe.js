// The probe's UI module: a settings page the console mounts (a fixture: the tests only check how it is served).
export default function register(ui) {
  ui.settingsPage({
    key: "probe",
    title: { ja: "テスト用", en: "Probe" },
    group: "workspace",
    component: () => null,
  });
}
