"""The staff console (`/staff`) and the model life cycle behind it.

Medewerkers handle cases; trainers read conversations, label what the bot was unsure
about, retrain, evaluate and promote models; beheerders manage accounts. The web app
also serves the live model to every Rasa server (`modelserver`). See docs/staff.md.
"""
