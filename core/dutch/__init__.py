"""Dutch text: postcodes, house numbers, phone numbers, e-mail addresses, case numbers,
addresses and times of day as residents write them. Used by the NLU components, the
forms and masking alike."""
