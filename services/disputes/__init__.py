"""The disputes service: petitions 信访, disputes 矛盾纠纷 with mediation and legal aid, proxy cases 代办."""
