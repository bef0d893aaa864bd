"""Word tables for generated data. Mixed scripts and punctuation on purpose: a mirror must
store names like "O'Brien", "Nguyễn" or "Søren" unchanged."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ava Liam Olivia Noah Emma Oliver Sophia Elijah Isabella James Mia William Amelia Benjamin "
    "Harper Lucas Evelyn Henry Abigail Alexander Emily Mason Ella Michael Elizabeth Ethan Camila "
    "Daniel Luna Jacob Sofia Logan Avery Jackson Mila Levi Aria Sebastian Scarlett Mateo Penelope "
    "Jack Layla Owen Chloe Theodore Victoria Aiden Madison Samuel Eleanor Joseph Grace John Nora "
    "David Riley Wyatt Zoey Matthew Hannah Luke Hazel Asher Lily Carter Ellie Julian Violet "
    "Grayson Lillian Leo Zoë Jayden Stella Gabriel Aurora Isaac Natalie Lincoln Emilia Anthony "
    "Everly Hudson Leah Dylan Aubrey Ezra Willow Thomas Addison Charles Lucy Christopher Audrey "
    "José Chloé Søren Björn Łukasz Zoltán Ngozi Aiko Hiroshi Priya Arjun Mei Wei Fatima Omar "
    "Aleksandr Ingrid Sven Yusuf Amara Kwame Siobhán François Renée Jürgen Dagný"
)

LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
    "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers "
    "Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "O'Brien Müller Schröder García Nguyễn Østergaard Kowalczyk Dvořák Yilmaz Tanaka Suzuki "
    "Watanabe Kuznetsov Papadopoulos Van der Berg D'Angelo MacDonald Fernández Åberg Şahin"
)
LAST_NAMES = (*(n for n in LAST_NAMES if n not in ("Van", "der", "Berg")), "van der Berg")

COMPANY_ADJ = _words(
    "Blue Red Silver Golden Northern Southern Bright Rapid Quantum Global Prime Summit Pioneer "
    "Evergreen Crystal Iron Cedar Harbor Atlas Apex Nova Vertex Lunar Solar Urban Coastal Alpine "
    "Granite Velvet Copper Maple Falcon Orbit Vivid Stellar Nimble Bold Clever Horizon"
)
COMPANY_NOUN = _words(
    "Analytics Logistics Systems Dynamics Labs Foods Robotics Media Health Energy Capital Software "
    "Networks Designs Ventures Partners Motors Textiles Pharma Studios Outfitters Foundry Brewing "
    "Freight Learning Security Biotech Construction Consulting Goods"
)
COMPANY_SUFFIX = ("Inc.", "LLC", "GmbH", "Ltd", "S.A.", "Co.", "AG", "Group", "", "", "")
TLDS = ("com", "io", "de", "co.uk", "fr", "net", "com", "com")
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "proton.me", "gmx.de")

CITIES = (
    "Boston", "New York", "San Francisco", "Austin", "Chicago", "Seattle", "Denver", "Berlin",
    "München", "Paris", "London", "Dublin", "Amsterdam", "Madrid", "São Paulo", "Tokyo",
    "Sydney", "Toronto", "Montréal", "Singapore", "Zürich", "Kraków", "Stockholm", "Lisbon",
)
STATES = ("MA", "NY", "CA", "TX", "IL", "WA", "CO", "Berlin", "Bayern", "Île-de-France",
          "England", "Leinster", "Noord-Holland", "Ontario", "Québec", "NSW", "Tokyo")
COUNTRIES = ("United States", "Germany", "France", "United Kingdom", "Ireland", "Netherlands",
             "Spain", "Brazil", "Japan", "Australia", "Canada", "Singapore", "Switzerland",
             "Poland", "Sweden", "Portugal")
STREETS = ("Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill",
           "Park", "Hauptstraße", "Rue de la Paix", "High", "Church", "Mill", "Station")
STREET_KIND = ("St", "Ave", "Rd", "Blvd", "Way", "Lane")

JOBTITLES = (
    "CEO", "CTO", "VP Sales", "Head of Marketing", "Account Executive", "Sales Manager",
    "Data Engineer", "Software Engineer", "Product Manager", "Office Manager", "CFO",
    "Operations Lead", "Customer Success Manager", "Marketing Coordinator", "Founder",
    "Director of IT", "Procurement Specialist", "HR Business Partner", "Consultant", "Analyst",
)
SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx.")
WORDS = _words(
    "quarterly review pricing renewal onboarding integration migration contract budget "
    "timeline demo proposal feedback roadmap security compliance invoice discount pilot rollout "
    "training support upgrade license seats analytics dashboard report workflow automation api "
    "follow-up meeting decision stakeholder approval legal procurement kickoff handover"
)
REASONS = ("price", "timing", "budget", "competitor", "features", "no decision", "champion left",
           "great fit", "fast onboarding", "strong ROI")
PRODUCT_WORDS = ("Starter", "Professional", "Enterprise", "Platform", "Add-on", "Seat",
                 "Support Plan", "Onboarding", "Analytics Suite", "API Access", "Storage Pack",
                 "Training Day", "Consulting Hour", "Hardware Kit", "License")
ACTIVITY_TYPES = ("Discovery", "Follow-up", "Demo", "Check-in", "Renewal", "Escalation")
CALL_TITLES = ("Discovery call", "Follow-up call", "Demo call", "Support call", "Renewal call",
               "Intro call", "Voicemail")
MEETING_TITLES = ("Kickoff", "QBR", "Product demo", "Contract review", "Onboarding session",
                  "Weekly sync", "Executive briefing")
TASK_SUBJECTS = ("Send proposal", "Call back", "Prepare demo", "Update CRM", "Send contract",
                 "Schedule QBR", "Follow up on invoice", "Review RFP")
TICKET_TOPICS = ("Login fails", "Invoice incorrect", "Export is slow", "Feature request: SSO",
                 "API returns 500", "Cannot reset password", "Sync error", "Refund request",
                 "Mobile app crash", "Data import stuck")
PET_NAMES = ("Bella", "Max", "Luna", "Charlie", "Lucy", "Cooper", "Daisy", "Milo", "Nala",
             "Rocky", "Mochi", "Pépé", "Žofka", "Kuro", "Bjørn")
BREEDS = ("Labrador", "Beagle", "Siamese", "Maine Coon", "Dachshund", "Border Collie",
          "Netherland Dwarf", "African Grey", "Mixed")
# Text snippets that exercise escaping: quotes, backslashes, newlines, emoji, HTML.
TRICKY = ('He said "ship it" — today.', "Line one\nLine two", "Path C:\\temp\\file.csv",
          "Café ☕ meeting 👍", "<b>Bold</b> & <i>italic</i>", "50% off; 3 < 4 > 2", "Tab\there")

TABLES = {
    "jobtitles": JOBTITLES, "cities": CITIES, "states": STATES, "countries": COUNTRIES,
    "salutations": SALUTATIONS, "words": WORDS, "reasons": REASONS,
    "activity_types": ACTIVITY_TYPES, "call_titles": CALL_TITLES,
    "meeting_titles": MEETING_TITLES, "task_subjects": TASK_SUBJECTS, "pet_names": PET_NAMES,
    "breeds": BREEDS,
}
