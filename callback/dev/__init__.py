"""Development only: `callback dev` (server), the demo widget and agent it creates
(demo), and the sample company site with the widget embedded (demo_site)."""
