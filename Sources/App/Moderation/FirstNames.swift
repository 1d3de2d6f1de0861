import Foundation

/// Common Kazakh, Russian and English first names (with the spellings people type), for
/// proposing a name-like word at the start of a sentence ("Айгерим, …"); and the endings of
/// surnames and patronymics (issue #21).
enum FirstNames {
    static let all: Set<String> = {
        let names = """
            айгерим әйгерім айгерім айгүл айгуль айжан айнұр айнур айсұлу айсулу ақбота акбота ақмарал акмарал алия
            аружан асель әсел асел әсем асем балжан баян гүлназ гульназ гүлмира гульмира дана дариға дарига динара
            жанар жансая жұлдыз жулдыз зарина индира камила қарлығаш карлыгаш ләззат ляззат мадина меруерт назерке
            назым нұргүл нургуль перизат салтанат сабина сания томирис ұлжан улжан ұлпан улпан шынар шолпан іңкәр
            инкар айдана айым гаухар жазира ботагөз ботагоз раушан алтынай даяна мөлдір молдир аяжан нұрай нурай
            аяулым акерке ақерке жанель жаннур әлия эльвира эльмира камшат анель аделя асылым
            айбек айдос айдар алмас арман арсен асқар аскар бауыржан бекзат бекжан берік берик болат ғалым галым
            дамир данияр дастан дәурен даурен ерлан ержан ерболат еркебұлан еркебулан ернар жандос жасұлан жасулан
            ильяс қайрат кайрат қанат канат мағжан магжан марат мұрат мурат нұрлан нурлан нұрсұлтан нурсултан олжас
            рустам руслан самат серік серик сұлтан султан талғат талгат тимур ұлан улан шыңғыс шынгыс ерасыл әлихан
            алихан әділ адиль азамат бақытжан бакытжан ерік ермек жомарт қуаныш куаныш мейірлан нұрбек нурбек рахат
            санжар темірлан темирлан аслан ислам мирас асхат абай абылай ахмет бексұлтан ануар әлібек алибек
            александр алексей андрей антон артём артем борис вадим валентин валерий василий виктор виталий
            владимир владислав вячеслав геннадий георгий глеб григорий денис дмитрий евгений егор иван игорь илья
            кирилл константин леонид максим михаил никита николай олег павел пётр петр роман семён семен сергей
            станислав степан тимофей фёдор федор юрий ярослав саша дима миша женя серёжа сережа вова паша лёша леша
            коля костя ваня гоша стас влад вадик толик анатолий эдуард артур марк даниил данил богдан
            александра алёна алена алина алла анастасия настя анна аня валентина валерия варвара вероника виктория
            галина дарья даша диана евгения екатерина катя елена лена елизавета лиза жанна зоя инна ирина ира
            карина кристина ксения лариса лидия людмила маргарита марина мария маша милана наталья наталия наташа
            нина оксана ольга оля полина светлана света софья софия татьяна таня ульяна юлия юля яна кира ева алиса
            арина регина снежана тамара эвелина ангелина
            james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony
            donald steven paul andrew joshua kenneth kevin brian george edward ronald timothy jason jeffrey ryan
            jacob gary nicholas eric jonathan stephen larry justin scott brandon benjamin samuel frank gregory
            alexander patrick jack dennis tyler aaron henry adam peter nathan zachary kyle noah alan ethan jeremy
            sean mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa betty margaret
            sandra ashley kimberly emily donna michelle dorothy carol amanda melissa deborah stephanie rebecca sharon
            laura cynthia kathleen amy angela anna brenda pamela emma nicole helen samantha katherine christine
            debra rachel carolyn janet catherine maria heather diane ruth julie olivia joyce virginia victoria kelly
            lauren christina joan evelyn judith megan andrea cheryl hannah jacqueline martha gloria sophia kate mike
            tom tim dan dave steve bob jim joe nick alex sam ben max chris matt tony liz jane jenny sue ann amelia
            ava mia isabella charlotte liam oliver lucas mason logan aigerim aizhan aruzhan dana dinara asel madina
            nurlan yerlan erlan askar marat arman daniyar timur ruslan ivan dmitry sergey olga natalia elena irina
            aida aliya alia zhanna saule saltanat nursultan yerzhan dauren bauyrzhan kairat kanat azamat
            """
        return Set(names.split(whereSeparator: \.isWhitespace).map(String.init))
    }()

    /// Case endings of Russian and Kazakh names ("Айгеримге", "Ивану", "Сергея").
    private static let caseEndings: Set<String> = [
        "ның", "нің", "дың", "дің", "тың", "тің", "мен", "бен", "пен", "дан", "ден", "тан", "тен", "нан", "нен",
        "ға", "ге", "қа", "ке", "ны", "ні", "ды", "ді", "ты", "ті", "да", "де", "та", "те", "ом", "ем", "ой", "ей",
        "ою", "ею", "'s", "’s", "а", "я", "у", "ю", "е", "ы", "и",
    ]

    /// Whether a lower-cased word is a first name, in any common case form.
    static func contains(_ word: String) -> Bool {
        if all.contains(word) { return true }
        let count = word.count
        for length in 1...3 where count - length >= 3 && caseEndings.contains(String(word.suffix(length))) {
            let stem = String(word.dropLast(length))
            for restored in ["", "а", "я", "й", "ь", "ия"] where all.contains(stem + restored) { return true }
        }
        return false
    }

    private static let surnameEndings: Set<String> = [
        "ович", "евич", "овна", "евна", "ична", "ұлы", "қызы", "улы", "кызы", "uly", "kyzy", "ovich", "ovna",
        "ов", "ова", "ев", "ева", "ин", "ина", "ёв", "ёва", "ov", "ova", "ev", "eva", "ova's", "ov's",
    ]

    /// Words with those endings that open ordinary sentences.
    private static let notSurnames: Set<String> = [
        "один", "мужчина", "женщина", "мужчин", "женщин", "машина", "машин", "причина", "половина", "магазин",
        "витрина", "картина", "кабина", "вершина", "тишина", "господин", "гражданин", "снова", "слова", "основа",
        "голова", "готова", "готов", "корова", "каков", "таков", "длина", "ширина", "глубина", "старшина",
        "малина", "дубина", "мужчины", "грузин", "блондин", "дельфин", "бензин", "витамин", "камин", "клин",
        "жасмин", "кувшин", "аспирин", "ремень", "полиция", "полицейский", "никого", "кого", "снег", "основ",
        "домов", "часов", "слов", "врагов", "друзей", "лев", "гнев", "напев", "припев", "посев", "налево",
        "prev", "above", "середина", "середине", "пружина", "годовщина", "скотина", "щетина", "лавина", "равнина",
        "низина", "калина", "резина", "корзина", "перина", "пучина", "кончина", "морщина", "рутина", "дисциплина",
        "медицина", "доктрина", "карантин", "мандарин", "адреналин", "пластилин", "пингвин", "керосин", "исполин",
        "голова", "подкова", "обнова", "такова", "какова", "здорова", "стихов", "отцов", "ростов", "саратов",
        "львов", "королева",
        // Kazakh words typed with Russian letters only ("кейін" as "кейин").
        "кейин", "дейин", "бугин", "бирин", "озин", "сизин", "менин", "сенин", "келин", "тубин", "жерин", "ишин",
        "естин",
    ]

    /// Whether a lower-cased word ends like a surname or patronymic (-ов, -ева, -ович, -ұлы …).
    static func looksLikeSurname(_ word: String) -> Bool {
        let count = word.count
        guard count >= 5, !notSurnames.contains(word) else { return false }
        return (2...5).contains { surnameEndings.contains(String(word.suffix($0))) }
    }
}
