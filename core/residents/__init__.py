"""What Balie says to and hears from residents outside Rasa's dialogue, the same on every channel.

- `guard.py`: what a resident may send Balie's dialogue (length, button payloads).
- `commands.py`: the commands a resident types (`/start`, `/stop`, `/vergeet`, `/help`)
  and the buttons that confirm forgetting.
- `texts.py`: every Dutch sentence a resident reads that is not one of Rasa's responses
  (those stay in `domain.yml`).
"""
