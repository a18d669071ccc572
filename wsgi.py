from callback import create_app

app = create_app()
