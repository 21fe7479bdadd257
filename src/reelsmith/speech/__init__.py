"""Speech helpers shared by the speech providers: words of a line, audio files, and word timings.

`words` splits a line into the words captions show and groups provider characters into words;
`audio` reads and writes the audio files speech providers return; `align` derives word timings
from audio alone; `phonemes` turns Piper's phoneme alignments into word timings.
"""
